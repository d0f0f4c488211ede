"""The identity API (Keystone v3) as the dashboard uses it: a password gives a token,
a token gives a token scoped to another project, and a token is read back (user,
project, roles, catalog) or revoked at logout."""
from contract.clients.base import ClientError, HTTPClient


class IdentityError(ClientError):
    """Identity refused (a wrong password: status 401) or failed."""


class IdentityClient(HTTPClient):
    error = IdentityError
    service_name = "Identity service"

    def __init__(self, endpoint, timeout=30.0, transport=None):
        """``endpoint``: the identity API's v3 root, e.g. http://host:5000/identity/v3."""
        super().__init__(endpoint, timeout=timeout, transport=transport)

    def fault(self, response):
        try:
            message = response.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            message = response.text[:200]
        return message, response.status_code

    def _issue(self, body):
        response = self.request("POST", "/auth/tokens", json={"auth": body})
        return response.headers["X-Subject-Token"], response.json()["token"]

    def password_token(self, username, password, project_id=None):
        """(token, token body) for a user of the default domain, scoped to
        ``project_id`` when given."""
        body = {"identity": {"methods": ["password"], "password": {"user": {
            "name": username, "password": password, "domain": {"id": "default"}}}}}
        if project_id:
            body["scope"] = {"project": {"id": project_id}}
        return self._issue(body)

    def rescope(self, token, project_id):
        """(token, token body) of the same user scoped to ``project_id``."""
        return self._issue({"identity": {"methods": ["token"], "token": {"id": token}},
                            "scope": {"project": {"id": project_id}}})

    def token_data(self, token):
        """What ``token`` is (user, project, roles, catalog, expiry); IdentityError 404
        once it expired or was revoked."""
        return self.request("GET", "/auth/tokens", headers={
            "X-Auth-Token": token, "X-Subject-Token": token}).json()["token"]

    def projects(self, token):
        """The projects the token's user may scope to."""
        return self.request("GET", "/auth/projects", token=token).json()["projects"]

    def revoke(self, token):
        self.request("DELETE", "/auth/tokens", check=False, headers={
            "X-Auth-Token": token, "X-Subject-Token": token})
