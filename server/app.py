"""Flask app factory: ``create_app()`` serves the store configured by ``EXOOWL_*`` settings."""

from __future__ import annotations

import weakref
from typing import Any

from flask import Flask

from exoowl.config import Settings, load_settings
from exoowl.write import Writer

from .bodies import register_whole_bodies
from .cors import register_cors
from .errors import register_error_handlers
from .graph_store import graph_store_blueprint
from .headers import register_security_headers
from .metrics import register_metrics
from .pages import pages_blueprint
from .sparql import sparql_blueprint
from .state import StoreHandle


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or load_settings(overrides)
    app = Flask("exoowl_server")
    app.config["EXOOWL_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["exoowl_store"] = handle = StoreHandle(settings)
    # the store and query processes live as long as the app: closed when it is collected
    # (a server's workers keep theirs until they exit; tests make and drop many apps)
    weakref.finalize(app, handle.close)
    if not settings.remote_store:  # a SPARQL server takes writes at its own endpoints
        # a write waits for the store's write lock at most half the request timeout
        app.extensions["exoowl_writer"] = Writer.from_settings(settings, lock_timeout=settings.query_timeout / 2)
    register_metrics(app, handle)
    register_whole_bodies(app, settings.max_request_bytes)
    register_error_handlers(app)
    register_cors(app, settings.cors_origins)
    register_security_headers(app)
    app.register_blueprint(sparql_blueprint)
    app.register_blueprint(graph_store_blueprint)
    app.register_blueprint(pages_blueprint)
    return app
