"""``/store``: the SPARQL 1.1 Graph Store HTTP Protocol.

A graph is named indirectly (``/store?graph=IRI``, ``/store?default``) or directly: the URL
``/store/any/path`` is the graph ``{public base}store/any/path`` (the public base is
EXOOWL_PUBLIC_URL, or the server's configured address: never the request's Host header). GET and HEAD read the
committed store; PUT (replace), POST (add; to ``/store`` itself: a new graph, 201 with its Location) and DELETE
write through the same gated, atomic writer as SPARQL Update, with the same bearer token."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, request

from exoowl.errors import NotFound, UsageError
from exoowl.formats import GRAPH_RESULT_FORMATS
from exoowl.query import serialize
from exoowl.sparql_safety import named_node
from exoowl.write import parse_graph_payload

from .auth import require_writer
from .conneg import choose_format
from .sparql import writer, written
from .state import current_store, settings

graph_store_blueprint = Blueprint("graph_store", __name__)
METHODS = ["GET", "PUT", "POST", "DELETE"]
# A graph is one graph: the dataset formats are not offered for it.
GRAPH_FORMATS = tuple(f for f in GRAPH_RESULT_FORMATS if f.name not in ("nquads", "trig"))


@graph_store_blueprint.route("/store", methods=METHODS)
@graph_store_blueprint.route("/store/<path:_>", methods=METHODS)
def graph_store(_: str | None = None) -> Response:
    target, new = _target()
    if request.method in ("GET", "HEAD"):
        return _get(target)
    require_writer(request, settings())
    if request.method == "DELETE":
        return written(writer().delete_graph(target))
    if new:
        report = writer().post_graph(target, _payload(target))
        response = written(report, 201)
        response.headers["Location"] = target
        return response
    if request.method == "PUT":
        report = writer().put_graph(target, _payload(target))
        return written(report, 201) if report.created else Response(status=204)
    report = writer().post_graph(target, _payload(target))
    return written(report, 201 if report.created else 200)


def _target() -> tuple[str | None, bool]:
    """The graph a request names (None for the default graph, or an IRI) and whether it is a new
    graph the server names: a POST to the graph store itself."""
    if request.view_args and "_" in request.view_args:
        if "graph" in request.args or "default" in request.args:
            raise UsageError("a graph named by its own URL takes no ?graph= or ?default")
        path = quote(request.path.lstrip("/"), safe="/:@!$&'()*+,;=-._~%")
        return named_node(settings().public_base + path, "the graph's URL").value, False
    if "graph" in request.args and "default" in request.args:
        raise UsageError("name one graph: ?graph=IRI or ?default, not both")
    if "default" in request.args:
        return None, False
    if "graph" in request.args:
        return named_node(request.args["graph"], "?graph=").value, False
    if request.method == "POST":
        return f"{settings().public_base}store/{uuid.uuid4()}", True
    raise UsageError("name the graph: /store?graph=IRI, /store?default, or the graph's own URL under /store/")


def _get(target: str | None) -> Response:
    store = current_store()
    if target is not None and not store.has_graph(target):
        raise NotFound(f"no graph {target} in this store")
    chosen, media_type = choose_format(GRAPH_FORMATS, request)
    triples = store.triples(target)
    response = Response(serialize(triples, chosen.name), mimetype=media_type)
    response.vary.add("Accept")
    return response


def _payload(target: str | None) -> list[ox.Triple]:
    """The request's triples: one RDF body, or every part of a multipart/form-data POST."""
    base = target or settings().public_base + "store"
    if request.mimetype == "multipart/form-data":
        if not request.files:
            raise UsageError("the multipart/form-data request has no file parts")
        return [t for part in request.files.values() for t in parse_graph_payload(part.read(), part.mimetype, base)]
    return parse_graph_payload(request.get_data(), request.mimetype, base)
