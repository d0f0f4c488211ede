"""The compute service layer: one function (or method) per API operation, between the
HTTP handlers in ``api/`` and the database.

Handlers parse the request (JSON schema, microversion), choose the policy rule and call
one operation here; the operation opens the transaction, finds what it acts on, runs the
handler's policy check on it (``authorize(target)``), applies the state rules of
``controller.compute.states.ACTIONS``, records the server's action and hands the work to
the conductor or the server's agent. Errors are ``ComputeError`` subclasses whose
``code`` is the HTTP status the API answers with.
"""
