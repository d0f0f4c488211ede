"""The host side of the network service: bridges, VXLAN, DHCP namespaces, and port
security (what a guest may send, in nftables).

The agent composes ``agent.network.host.HostNetwork`` (``linuxbridge`` on real hosts,
``fake`` for simulated ones) with its virt driver; nothing is imported here so that
importing one module does not pull in pyroute2 for the rest.
"""
