"""The dashboard over plain HTTP, as the tests drive it without a browser."""
import re

import requests


class Browser:
    """A requests session that signs in through the login form."""

    def __init__(self, cloud):
        self.base = cloud.url + "/dashboard"
        self.http = requests.Session()

    def get(self, path, **kwargs):
        return self.http.get(self.base + path, timeout=60, **kwargs)

    def csrf(self, html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def post(self, path, data=None, csrf=None, **kwargs):
        data = dict(data or {})
        if csrf is not False:
            data["csrf_token"] = csrf or self.csrf(self.get("/servers").text)
        return self.http.post(self.base + path, data=data, timeout=60,
                              allow_redirects=False, **kwargs)

    def login(self, user, password):
        form = self.get("/login")
        assert form.status_code == 200
        # The test talks plain HTTP to 127.0.0.1: hand the Secure cookies back as a
        # browser does for this machine.
        for cookie in self.http.cookies:
            cookie.secure = False
        answer = self.http.post(self.base + "/login", data={
            "username": user, "password": password, "csrf_token": self.csrf(form.text)},
            timeout=60, allow_redirects=False)
        for cookie in self.http.cookies:
            cookie.secure = False
        return answer
