"""The dashboard's pages. Each handler reads the request, finds the session, calls the
cloud's APIs as that user and renders a template; a POST needs the session's CSRF token
and answers with a redirect (plain forms) or a fragment (htmx)."""
import functools
import importlib.resources
import mimetypes
import os

import falcon
import jinja2

from contract.clients.base import ClientError
from contract.clients.identity import IdentityClient
from contract.clients.wsgi_adapter import WSGIAdapter
from controller.dashboard import session as sessions
from controller.dashboard import timeline
from controller.dashboard.cloud import Cloud

TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("controller.dashboard", "templates"),
    autoescape=True, trim_blocks=True, lstrip_blocks=True)

# name → file served under /dashboard/static: htmx from the PyPI wheel that ships it,
# term.js (the terminal Horizon's serial console used) from Debian's libjs-term.js, our
# own script and style. (Debian 12's libjs-xterm ships a CommonJS stub no browser runs.)
TERM_JS = "/usr/share/javascript/term.js/term.js"
STATIC = {
    "htmx.min.js": lambda: importlib.resources.files("js_lib_htmx").joinpath(
        "static/htmx/htmx.min.js"),
    "term.js": lambda: TERM_JS,
    "dashboard.js": lambda: importlib.resources.files("controller.dashboard").joinpath(
        "static/dashboard.js"),
    "dashboard.css": lambda: importlib.resources.files("controller.dashboard").joinpath(
        "static/dashboard.css"),
}
MAX_FORM_BYTES = 64 * 1024     # a public key is the longest field of any form
POWER_ACTIONS = {"start": "os-start", "stop": "os-stop", "reboot": "reboot"}
CONSOLES = {"serial": ("serial", "serial"), "vnc": ("vnc", "novnc")}
def render(resp, name, status=falcon.HTTP_200, **values):
    resp.status = status
    resp.content_type = falcon.MEDIA_HTML
    resp.set_header("Cache-Control", "no-store")
    resp.set_header("X-Frame-Options", "SAMEORIGIN")
    resp.text = TEMPLATES.get_template(name).render(**values)


def form_of(req):
    """A plain form's fields; no form is larger than ``MAX_FORM_BYTES``."""
    if req.content_type and req.content_type.startswith(falcon.MEDIA_URLENCODED):
        if (req.content_length or 0) > MAX_FORM_BYTES:
            raise falcon.HTTPContentTooLarge(
                description=f"A form is at most {MAX_FORM_BYTES} bytes.")
        return req.get_media(default_when_empty={}) or {}
    return {}


def is_htmx(req):
    return req.get_header("HX-Request") == "true"


def done(req, resp, location):
    """After a POST: htmx follows HX-Redirect, a plain form the 303."""
    if is_htmx(req):
        resp.set_header("HX-Redirect", location)
        resp.status = falcon.HTTP_204
    else:
        raise falcon.HTTPSeeOther(location)


class Base:
    def __init__(self, runtime):
        self.runtime = runtime
        self.transport = WSGIAdapter(lambda: runtime.wsgi_app)

    @functools.cached_property
    def identity(self):
        return IdentityClient(self.runtime.endpoint("/identity/v3"),
                              transport=self.transport)

    def session(self, req):
        token = req.get_cookie_values(sessions.TOKEN_COOKIE)
        if not token:
            raise sessions.NotSignedIn()
        try:
            data = self.identity.token_data(token[0])
        except ClientError as exc:
            raise sessions.NotSignedIn() from exc
        return sessions.session_of(data, token[0])

    def cloud(self, session):
        return Cloud(session.token, session.catalog, transport=self.transport)

    def post_session(self, req):
        """The session of a POST, once its CSRF token matched; and the form."""
        session = self.session(req)
        form = form_of(req)
        sessions.check_csrf(req, form, session.csrf)
        return session, form

    def page(self, req, resp, template, session, **values):
        """A whole page (with the project switcher), or for htmx just the fragment."""
        if is_htmx(req):
            return render(resp, template, session=session, csrf=session.csrf, **values)
        try:
            projects = self.identity.projects(session.token)
        except ClientError:
            projects = [session.project]
        render(resp, template, session=session, projects=projects,
               csrf=session.csrf, **values)


class Root(Base):
    def on_get(self, req, resp):
        raise falcon.HTTPSeeOther("/dashboard/servers")


class Login(Base):
    def on_get(self, req, resp, error=None, status=falcon.HTTP_200):
        csrf = sessions.new_login_csrf()
        sessions.set_cookie(resp, sessions.LOGIN_CSRF_COOKIE, csrf, max_age=3600)
        render(resp, "login.html", status=status, csrf=csrf, error=error, session=None)

    def on_post(self, req, resp):
        form = form_of(req)
        cookie = req.get_cookie_values(sessions.LOGIN_CSRF_COOKIE) or [""]
        try:
            sessions.check_csrf(req, form, cookie[0] or "-")
        except sessions.CsrfRefused as exc:
            return self.on_get(req, resp, str(exc), falcon.HTTP_403)
        try:
            unscoped, _ = self.identity.password_token(form.get("username", ""),
                                                       form.get("password", ""))
            projects = self.identity.projects(unscoped)
            if not projects:
                return self.on_get(req, resp, "You are a member of no project.",
                                   falcon.HTTP_403)
            token, _ = self.identity.rescope(unscoped, projects[0]["id"])
            self.identity.revoke(unscoped)
        except ClientError as exc:
            if exc.status == 401:
                return self.on_get(req, resp, "Wrong user name or password.",
                                   falcon.HTTP_401)
            raise
        sessions.set_cookie(resp, sessions.TOKEN_COOKIE, token)
        resp.unset_cookie(sessions.LOGIN_CSRF_COOKIE, path=sessions.PATH)
        raise falcon.HTTPSeeOther("/dashboard/servers")


class Logout(Base):
    def on_post(self, req, resp):
        session, _ = self.post_session(req)
        self.identity.revoke(session.token)
        resp.unset_cookie(sessions.TOKEN_COOKIE, path=sessions.PATH)
        raise falcon.HTTPSeeOther("/dashboard/login")


class Project(Base):
    def on_post(self, req, resp):
        session, form = self.post_session(req)
        token, _ = self.identity.rescope(session.token, form.get("project_id", ""))
        self.identity.revoke(session.token)
        sessions.set_cookie(resp, sessions.TOKEN_COOKIE, token)
        raise falcon.HTTPSeeOther("/dashboard/servers")


class Servers(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        cloud = self.cloud(session)
        template = "server_rows.html" if is_htmx(req) else "servers.html"
        self.page(req, resp, template, session, servers=cloud.servers())

    def on_post(self, req, resp):
        session, form = self.post_session(req)
        cloud = self.cloud(session)
        server = cloud.create_server(
            form.get("name", ""), form.get("image", ""), form.get("flavor", ""),
            network_id=form.get("network") or None, key_name=form.get("key_name") or None,
            volume_size=form.get("volume_size") or None)
        done(req, resp, f"/dashboard/servers/{server['id']}")


class NewServer(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        cloud = self.cloud(session)
        self.page(req, resp, "server_new.html", session, images=[
            i for i in cloud.images() if i["status"] == "active"],
            flavors=cloud.flavors(), networks=cloud.networks(), keypairs=cloud.keypairs())


class Server(Base):
    def on_get(self, req, resp, server_id):
        session = self.session(req)
        cloud = self.cloud(session)
        server = cloud.server(server_id)
        template = "server_status.html" if is_htmx(req) else "server.html"
        self.page(req, resp, template, session, server=server)


class ServerAction(Base):
    def on_post(self, req, resp, server_id, action):
        session, _ = self.post_session(req)
        cloud = self.cloud(session)
        if action == "delete":
            cloud.delete_server(server_id)
            return done(req, resp, "/dashboard/servers")
        if action not in POWER_ACTIONS:
            raise falcon.HTTPNotFound()
        cloud.server_action(server_id, POWER_ACTIONS[action])
        done(req, resp, f"/dashboard/servers/{server_id}")


class ConsoleLog(Base):
    def on_get(self, req, resp, server_id):
        session = self.session(req)
        try:
            log = self.cloud(session).console_log(server_id)
        except ClientError as exc:
            if exc.status != 409:
                raise
            # Still building (or being deleted): no console yet, the next poll shows it.
            log = None
        render(resp, "console_log.html", log=log)


class Console(Base):
    def on_post(self, req, resp, server_id, kind):
        session, _ = self.post_session(req)
        if kind not in CONSOLES:
            raise falcon.HTTPNotFound()
        url = self.cloud(session).console_url(server_id, *CONSOLES[kind])
        render(resp, "console.html", kind=kind, url=url)


class Timeline(Base):
    def on_get(self, req, resp, server_id):
        session = self.session(req)
        cloud = self.cloud(session)
        server = cloud.server(server_id)
        action = cloud.create_action(server_id) or {"events": []}
        rows, total, height = timeline.bars(server, action)
        render(resp, "timeline.html", rows=rows, total=total, height=height,
               label_width=timeline.LABEL_WIDTH, chart_width=timeline.CHART_WIDTH,
               row_height=timeline.ROW_HEIGHT)


class Hosts(Base):
    def on_get(self, req, resp):
        session = self.session(req)
        if not session.is_admin:
            raise falcon.HTTPForbidden(description="Only admins see the hosts.")
        cloud = self.cloud(session)
        placed = {}
        for server in cloud.all_servers():
            placed.setdefault(server.get("OS-EXT-SRV-ATTR:host"), []).append(server)
        self.page(req, resp, "hosts.html", session, hypervisors=cloud.hypervisors(),
                  placed=placed)


class Static:
    def on_get(self, req, resp, name):
        if name not in STATIC:
            raise falcon.HTTPNotFound()
        path = STATIC[name]()
        try:
            data = path.read_bytes() if hasattr(path, "read_bytes") else open(
                path, "rb").read()
        except FileNotFoundError:
            raise falcon.HTTPNotFound(description=f"{name} is not installed") from None
        resp.content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        resp.set_header("Cache-Control", "max-age=3600")
        resp.data = data


def _not_signed_in(req, resp, ex, params):
    if is_htmx(req):
        resp.set_header("HX-Redirect", "/dashboard/login")
        resp.status = falcon.HTTP_401
        return
    raise falcon.HTTPSeeOther("/dashboard/login")


def _csrf_refused(req, resp, ex, params):
    render(resp, "error.html", status=falcon.HTTP_403, message=str(ex), session=None)


def _http_error(req, resp, ex, params):
    render(resp, "error.html", status=ex.status,
           message=ex.description or ex.title, session=None)


def _api_error(req, resp, ex, params):
    status = ex.status if ex.status and 400 <= ex.status < 600 else 502
    render(resp, "error.html", status=falcon.code_to_http_status(status),
           message=ex.message, session=None)


def add_routes(app, runtime, more_routes):
    """``more_routes``: path → resource class of the other page modules."""
    app.add_error_handler(falcon.HTTPError, _http_error)
    app.add_error_handler(sessions.NotSignedIn, _not_signed_in)
    app.add_error_handler(sessions.CsrfRefused, _csrf_refused)
    app.add_error_handler(ClientError, _api_error)
    routes = {
        "/": Root, "/login": Login, "/logout": Logout, "/project": Project,
        "/servers": Servers, "/servers/new": NewServer, "/servers/{server_id}": Server,
        "/servers/{server_id}/log": ConsoleLog,
        "/servers/{server_id}/timeline": Timeline,
        "/servers/{server_id}/console/{kind}": Console,
        "/servers/{server_id}/{action}": ServerAction,
        "/admin/hosts": Hosts,
        **more_routes,
    }
    for path, resource in routes.items():
        app.add_route(path, resource(runtime))
    app.add_route("/static/{name}", Static())
