"""Request bodies are read whole or refused whole. A body without Content-Length (chunked) is
read here, up to one byte past ``EXOOWL_MAX_REQUEST_BYTES``: longer is a 413 before any view
runs (Werkzeug alone would cut it at the limit without a word, and half of a two-part update
would be committed); shorter is handed on with its length, as if the client had sent one."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
TOO_LARGE = "exoowl.body_too_large"


class WholeBodies:
    """WSGI middleware in front of the Flask app."""

    def __init__(self, app: WsgiApp, limit: int) -> None:
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("CONTENT_LENGTH") in (None, "") and _has_body(environ):
            body = _read_at_most(environ["wsgi.input"], self.limit + 1)
            if len(body) > self.limit:
                environ[TOO_LARGE], body = True, b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("wsgi.input_terminated", None)
            environ.pop("HTTP_TRANSFER_ENCODING", None)  # read whole: now a body of known length
        return self.app(environ, start_response)


def _has_body(environ: dict[str, Any]) -> bool:
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() or bool(environ.get("wsgi.input_terminated"))


def _read_at_most(stream: Any, size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(min(left, 65536))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def register_whole_bodies(app: Flask, limit: int) -> None:
    """The middleware, and the 413 (the app's own problem response) for a body it refused."""
    app.wsgi_app = WholeBodies(app.wsgi_app, limit)  # type: ignore[method-assign]

    @app.before_request
    def refuse_cut_bodies() -> None:
        if request.environ.get(TOO_LARGE):
            raise RequestEntityTooLarge()
