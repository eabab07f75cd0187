"""The landing page and the release download (the full web interface comes with the endpoint work)."""
from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, send_file

from exoowl.query import named_queries

from .state import current_store

pages_blueprint = Blueprint("pages", __name__)


def _settings():
    return current_app.config["EXOOWL_SETTINGS"]


@pages_blueprint.route("/")
def index() -> Response:
    store = current_store()
    graphs = "".join(f"<li><code>{escape(g)}</code>: {store.count(g)} triples</li>" for g in store.graphs())
    queries = "".join(
        f'<li><a href="/sparql?{urlencode({"query": q.sparql})}">{escape(q.name)}</a>: {escape(q.question)}</li>'
        for q in named_queries(_settings().queries_dir).values())
    body = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>exoowl</title></head>
<body><h1>exoowl</h1><p>The semantic knowledge graph of tumor-derived exosomes.</p>
<p>SPARQL 1.1 endpoint: <code>/sparql</code> (GET or POST <code>query</code>).
Ontology release for Protégé: <a href="/ontology/exoowl.owl">exoowl.owl</a>.</p>
<h2>Graphs</h2><ul>{graphs}</ul><h2>Named queries</h2><ul>{queries}</ul></body></html>"""
    return Response(body, mimetype="text/html")


@pages_blueprint.route("/ontology/exoowl.owl")
def release() -> Response:
    return send_file(_settings().release_file, mimetype="application/rdf+xml", as_attachment=False)
