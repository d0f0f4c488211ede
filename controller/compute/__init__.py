"""Compute (Nova v2.1 subset): servers, flavors, key pairs, quotas and the records of
what happened to each server.

Kept free of imports, so that importing one of its modules loads no more than it needs.
"""
