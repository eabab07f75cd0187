"""``/sparql``: the SPARQL 1.1 Protocol's query operation, its service description, and a 501
for updates (not implemented yet). Reading the request is in ``protocol``, choosing the answer's
format in ``conneg``; the checks and the RDF are the core's."""
from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from exoowl.config import Settings
from exoowl.errors import NotImplementedYet, UsageError
from exoowl.formats import GRAPH_RESULT_FORMATS, RESULT_FORMATS
from exoowl.query import serialize
from exoowl.service import SD_PREFIXES, service_description
from exoowl.sparql_safety import check_update_syntax, refuse_unsafe, refuse_unsafe_update

from .conneg import choose_format
from .protocol import Operation, read_operation
from .state import current_store, store_handle

sparql_blueprint = Blueprint("sparql", __name__)


def _settings() -> Settings:
    return current_app.config["EXOOWL_SETTINGS"]


@sparql_blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    operation = read_operation(request)
    if operation.kind == "update":
        refuse_update(operation)
    if operation.kind == "service-description":
        return describe_service()
    raw = run_query(operation)
    formats = GRAPH_RESULT_FORMATS if isinstance(raw, ox.QueryTriples) else RESULT_FORMATS
    chosen, media_type = choose_format(formats, request)
    return _answer(serialize(raw, chosen.name), media_type)


def run_query(operation: Operation) -> Any:
    store = current_store()
    refuse_unsafe(operation.text, store.graphs(), allow_remote=_settings().allow_remote,
                  dataset_given=operation.dataset_given)
    if not operation.dataset_given:
        return store.query(operation.text, base_iri=request.base_url)
    return store.query(operation.text, default_graphs=list(operation.default_graphs),
                       named_graphs=list(operation.named_graphs), base_iri=request.base_url)


def refuse_update(operation: Operation) -> None:
    """Updates are not implemented: a malformed or conflicting one gets 400, a good one 501."""
    features = refuse_unsafe_update(operation.text)
    if operation.dataset_given and features.uses("USING", "WITH"):
        raise UsageError("using-graph-uri / using-named-graph-uri may not be combined with USING or WITH "
                         "in the update (SPARQL 1.1 Protocol §2.2.3)")
    check_update_syntax(operation.text, base_iri=request.base_url)
    raise NotImplementedYet("SPARQL Update is not implemented on this server yet: it is read-only")


def describe_service() -> Response:
    chosen, media_type = choose_format(GRAPH_RESULT_FORMATS, request)
    triples = service_description(request.base_url, store_handle().statistics(),
                                  [f.iri for f in (*RESULT_FORMATS, *GRAPH_RESULT_FORMATS)],
                                  allow_remote=_settings().allow_remote)
    return _answer(serialize(triples, chosen.name, SD_PREFIXES), media_type)


def _answer(body: bytes, media_type: str) -> Response:
    response = Response(body, mimetype=media_type)
    response.vary.add("Accept")
    return response


@sparql_blueprint.route("/health")
def health() -> Response:
    current_store()
    return Response('{"status": "ok"}', mimetype="application/json")
