"""The route table of every API, read from the Falcon apps themselves (``falcon.inspect``)
so that the fuzz suite covers each route that exists, new ones included.

Run as ``python -m tests.fuzz.routes --config-file X``: it builds the apps as the
controller does, against that configuration's (scratch) state, and prints JSON
``[[prefix, uri_template, [methods]], ...]``.
"""
import json
import sys

import falcon.inspect

from conf import CONF, groups_of
from contract import service_startup
from controller import service
from controller.api import app as api_app
from controller.db import migration


def route_table(runtime):
    table = []
    for prefix, package, _type in api_app.SERVICES:
        module = __import__(f"controller.{package}.api", fromlist=["create_app"])
        app = module.create_app(runtime)
        for route in falcon.inspect.inspect_app(app).routes:
            methods = sorted(m.method for m in route.methods if not m.internal)
            table.append([prefix, route.path, methods])
    return table


def main(argv):
    service_startup.parse_config(argv, groups_of("api"))
    controller = service.ControllerService(CONF, roles=["api"])
    migration.upgrade(controller.db.url)
    from controller.identity.validation import make_validator
    controller.runtime.validator = make_validator(controller.runtime, local=True)
    print(json.dumps(route_table(controller.runtime)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
