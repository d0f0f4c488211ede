"""Power states of a guest as the hypervisor reports them (Nova's numbering, which the
API shows as ``OS-EXT-STS:power_state``)."""

NOSTATE = 0
RUNNING = 1
PAUSED = 3
SHUTDOWN = 4
CRASHED = 6
SUSPENDED = 7
