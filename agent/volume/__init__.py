"""Compute-host side of volumes: what the host tells the volume API about itself (the
connector) and how it turns the answer (``connection_info``) into a guest disk."""
