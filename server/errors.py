"""Typed exoowl errors → RFC 9457 problem responses, in this one place.

HTTP errors raised by Flask and Werkzeug (404, 405, 413 …) become problems too, keeping their
headers (``Allow``); anything unexpected becomes a 500 problem whose body carries no traceback
(the traceback goes to the log). A client refused for the query lanes' load (503/429 with
``Retry-After``) has its early retries held by the worker until then. A browser (a request
preferring HTML to JSON) gets the same problem as an HTML page, every value escaped by the template."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, has_request_context, json, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from exoowl.errors import ExoowlError, Overloaded

from .worker import hold_client

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, **extensions: Any) -> Response:
    """The problem as JSON (RFC 9457), or as an HTML page for a browser."""
    if _wants_html():
        page = render_template("error.html", status=status, title=title, detail=detail)
        return Response(page, status=status, mimetype="text/html")
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail, **extensions})
    return Response(body, status=status, mimetype=PROBLEM)


def _wants_html() -> bool:
    """A browser's Accept: text/html ranked above any JSON (``*/*`` alone means JSON)."""
    if not has_request_context():
        return False
    accept = request.accept_mimetypes
    return accept["text/html"] > max(
        accept[PROBLEM], accept["application/json"], accept["application/sparql-results+json"]
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ExoowlError)
    def exoowl_error(exc: ExoowlError) -> Response:
        response = problem(exc.http_status, exc.title, exc.one_line(), **exc.extensions())
        response.headers.update(exc.headers())
        if isinstance(exc, Overloaded):  # the query lanes' 503/429: this client's early retries wait
            hold_client(exc.retry_after)
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return problem(
            413,
            "Request too large",
            f"the request body is over {limit} bytes, the most this server reads (setting EXOOWL_MAX_REQUEST_BYTES)",
            limit=limit,
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        response = problem(exc.code or 500, exc.name, exc.description or exc.name)
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        current_app.logger.exception("unexpected error answering a request")
        return problem(
            500,
            "Internal server error",
            f"the server failed to answer ({type(exc).__name__}); the details are in its log",
        )
