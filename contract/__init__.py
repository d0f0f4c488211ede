"""What the controller and the compute agents share, and nothing else.

The agent depends on this package and on the controller services' ``rpcapi`` modules;
the controller on this package and on ``agent.rpcapi``. In here: the versioned objects
that cross the message bus (``objects``), the bus itself (``rpc``), the errors that
cross it (``exception``), the server states the agent reports (``vm_states``), the guest
metadata/config-drive documents (``guest_metadata``), image format inspection
(``image_format``), how a server's ports are bound and described (``port_binding``), the
clients of the sibling HTTP APIs (``clients``) and the start-up every console script
shares (``service_startup``).

Kept free of imports so that any part of it loads without the database.
"""
