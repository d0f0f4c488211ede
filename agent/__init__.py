"""pocketstack agent: runs on every compute host and drives its hypervisor, bridges and
image cache. It never touches the database: everything goes through the conductor.
"""
