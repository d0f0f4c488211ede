"""The web dashboard under ``/dashboard``: server-rendered pages (Jinja2) made lively
with htmx, signed in with a Keystone password, acting only through the services' public
APIs with the user's own token (``cloud``), so the API's policy is the dashboard's."""
import falcon

from controller.dashboard import access, pages, resources


def create_app(runtime):
    app = falcon.App(media_type=falcon.MEDIA_HTML)
    app.req_options.strip_url_path_trailing_slash = True
    # An upload's fields are short and few; its file part is streamed, never buffered.
    multipart = falcon.media.MultipartFormHandler()
    multipart.parse_options.max_body_part_buffer_size = pages.MAX_FORM_BYTES
    multipart.parse_options.max_body_part_count = 8
    app.req_options.media_handlers[falcon.MEDIA_MULTIPART] = multipart
    pages.add_routes(app, runtime, {**resources.ROUTES, **access.ROUTES})
    return app
