"""CORS: browsers on the configured origins (``EXOOWL_CORS_ORIGINS``, ``*`` by default) may call the app."""

from __future__ import annotations

from flask import Flask, Response, request

ALLOW_METHODS = "GET, HEAD, POST, PUT, DELETE, OPTIONS"
ALLOW_HEADERS = "Accept, Content-Type, Authorization"
EXPOSE_HEADERS = "Content-Type, Content-Length, Location, WWW-Authenticate, Retry-After"


def allowed_origin(configured: str, origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin value for a request from ``origin``, or None."""
    origins = configured.split()
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def register_cors(app: Flask, configured: str) -> None:
    @app.after_request
    def add_cors_headers(response: Response) -> Response:
        value = allowed_origin(configured, request.headers.get("Origin"))
        if value is None:
            return response
        response.headers["Access-Control-Allow-Origin"] = value
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        if value != "*":
            response.vary.add("Origin")
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
