"""Raw HTTP to a cloud's networking API (``/networking/v2.0``) as one user, for tests of
wire formats, errors and concurrent requests (the stock CLI costs a Python start per
call)."""
import requests


class Networking:
    """Requests with one user's project-scoped token; threads may share one (each
    request has its own HTTP session)."""

    def __init__(self, cloud, user, password, project):
        body = {"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"id": "default"}, "password": password}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        response = requests.post(cloud.auth_url + "/auth/tokens", json=body, timeout=30)
        assert response.status_code == 201, response.text
        self.token = response.headers["X-Subject-Token"]
        self.project_id = response.json()["token"]["project"]["id"]
        self.base = cloud.url + "/networking/v2.0"

    def request(self, method, path, body=None, params=None):
        with requests.Session() as session:
            return session.request(method, self.base + path, json=body, params=params,
                                   timeout=60, headers={"X-Auth-Token": self.token})

    def create(self, resource, expect=201, **attributes):
        """POST a ``resource`` (``security_group`` goes to ``/security-groups``); its body
        when created, else the error body."""
        collection = resource.replace("_", "-") + "s"
        response = self.request("POST", f"/{collection}", {resource: attributes})
        assert response.status_code == expect, response.text
        return response.json()[resource] if expect == 201 else response.json()

    def get(self, path, expect=200, **params):
        response = self.request("GET", path, params=params)
        assert response.status_code == expect, response.text
        return response.json()


def member_project(cloud, name, password):
    """A new project whose user (of the same name) is a plain member; its client."""
    cloud.add_member_project(name, password)
    return Networking(cloud, name, password, name)


def error(response_body):
    """The ``NeutronError`` of an error body."""
    return response_body["NeutronError"]
