"""Virt drivers: the one interface (``driver.ComputeDriver``) and its implementations."""
