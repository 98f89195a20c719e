"""The aiohttp application: error and auth middlewares, the API routes and /metrics."""

from __future__ import annotations

from aiohttp import web

from . import auth, frontend_api
from .api import DAEMON, routes
from .bad_requests import json_error_bodies
from .daemon import Daemon
from .errors import json_errors
from .status import status

MAX_BODY = 64 * 1024  # bytes of a request body; more is 413


async def metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[DAEMON].metrics.render()
    resp = web.Response(body=body)
    resp.headers["Content-Type"] = content_type
    return resp


def make_app(daemon: Daemon) -> web.Application:
    app = web.Application(
        middlewares=[json_errors, auth.middleware(lambda: daemon.config.api_tokens)],
        client_max_size=MAX_BODY,
    )
    app[DAEMON] = daemon
    app.on_response_prepare.append(json_error_bodies)
    app.add_routes(routes())
    app.add_routes(frontend_api.routes())
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/status", status)
    return app
