"""The L3 role of a host: routers as ``qrouter-<id>`` namespaces, as Neutron's L3 agent
builds them (``plan`` is the pure part, ``namespace`` the kernel, ``agent`` the sync)."""
