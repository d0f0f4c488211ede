"""A multi-host lab on one machine for the deployment tests: see lab.py."""
