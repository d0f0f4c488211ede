"""The web dashboard under ``/dashboard``: server-rendered pages (Jinja2) made lively
with htmx, signed in with a Keystone password, acting only through the services' public
APIs with the user's own token (``cloud``), so the API's policy is the dashboard's."""
import falcon

from controller.dashboard import access, pages, resources


def create_app(runtime):
    app = falcon.App(media_type=falcon.MEDIA_HTML)
    app.req_options.strip_url_path_trailing_slash = True
    pages.add_routes(app, runtime, {**resources.ROUTES, **access.ROUTES})
    return app
