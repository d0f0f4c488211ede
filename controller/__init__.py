"""pocketstack controller: identity, the APIs, scheduler, conductor, image and network services.

Kept free of imports so that the agent can import the controller services' RPC clients
(the ``rpcapi`` modules) without pulling in the database.
"""
