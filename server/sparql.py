"""``/sparql``: SPARQL 1.1 query over HTTP (GET, form POST, direct POST) with content negotiation."""
from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, request

from exoowl.errors import UsageError
from exoowl.query import serialize

from .state import current_store

sparql_blueprint = Blueprint("sparql", __name__)

RESULT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle", "application/n-triples": "ntriples", "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld", "application/n-quads": "nquads", "application/trig": "trig",
}


def _query_text() -> str:
    if request.method == "GET":
        text = request.args.get("query")
    elif request.mimetype == "application/sparql-query":
        text = request.get_data(as_text=True)
    else:
        text = request.form.get("query")
    if not text:
        raise UsageError("no query given: send it as the 'query' parameter")
    return text


def _negotiate(options: dict[str, str], default: str) -> tuple[str, str]:
    best = request.accept_mimetypes.best_match(list(options), default=None)
    if best is None:
        best = default
    return best, options[best]


@sparql_blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    raw = current_store().query(_query_text())
    if isinstance(raw, ox.QueryTriples):
        mime, fmt = _negotiate(GRAPH_TYPES, "text/turtle")
    else:
        mime, fmt = _negotiate(RESULT_TYPES, "application/sparql-results+json")
    return Response(serialize(raw, fmt), mimetype=mime)


@sparql_blueprint.route("/health")
def health() -> Response:
    current_store()
    return Response('{"status": "ok"}', mimetype="application/json")
