"""Typed exoowl errors → RFC 9457 problem responses, in this one place."""
from __future__ import annotations

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from exoowl.errors import ExoowlError


def problem(status: int, title: str, detail: str) -> Response:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    return Response(body, status=status, mimetype="application/problem+json")


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ExoowlError)
    def exoowl_error(exc: ExoowlError) -> Response:
        return problem(exc.http_status, exc.title, exc.one_line())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return problem(exc.code or 500, exc.name, exc.description or exc.name)
