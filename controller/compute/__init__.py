"""Compute (Nova v2.1 subset): servers, flavors, key pairs, quotas and the records of
what happened to each server.

Kept free of imports: the agent imports ``controller.compute.states`` and
``controller.compute.exception`` without pulling in the database.
"""
