"""The host side of the network service: bridges, VXLAN, DHCP namespaces, and port
security (what a guest may send, in nftables).

Compute calls ``agent.network.plug.NetworkPlugger``; nothing is imported here so that
importing one module does not pull in pyroute2 for the rest.
"""
