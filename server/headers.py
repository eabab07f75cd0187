"""Security headers: a content security policy on every HTML page (scripts and styles from this
server only; YASGUI and Cytoscape are served locally, so nothing else is needed), and
``X-Content-Type-Options: nosniff`` on every answer."""

from __future__ import annotations

from flask import Flask, Response

# 'unsafe-inline' styles: YASGUI and CodeMirror set style attributes, and pyLODE's page has a
# <style> block. Scripts never inline: the named queries reach YASGUI as a JSON data block.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def secure(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
