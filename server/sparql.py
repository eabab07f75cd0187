"""``/sparql``: the SPARQL 1.1 Protocol's query and update operations and its service description.
Reading the request is in ``protocol``, choosing the answer's format in ``conneg``, who may write
in ``auth``; the checks, the RDF and the gated, atomic writes are the core's."""

from __future__ import annotations

import contextlib
import json

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, request

from exoowl.errors import NotAcceptable, QueryTimeout, UsageError
from exoowl.formats import GRAPH_RESULT_FORMATS, RESULT_FORMATS, Format
from exoowl.isolation import QueryJob
from exoowl.query import check_query, serialize
from exoowl.service import SD_PREFIXES, service_description
from exoowl.sparql_safety import analyse, named_node, with_using
from exoowl.write import Writer, WriteReport

from .auth import require_writer
from .conneg import choose_format
from .deadlines import client_of, deadline, still_connected
from .metrics import TIMEOUTS
from .protocol import Operation, read_operation
from .state import current_store, settings, store_handle

sparql_blueprint = Blueprint("sparql", __name__)


@sparql_blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    operation = read_operation(request)
    if operation.kind == "update":
        return written(run_update(operation))
    if operation.kind == "service-description":
        return describe_service()
    return _answer(*run_query(operation))


def run_query(operation: Operation) -> tuple[bytes, str]:
    """Check the query, then run it: in a query process for a local store (stopped at the
    deadline), as an HTTP request for a SPARQL server. The answer and its media type."""
    default = (
        [named_node(g, "default-graph-uri").value for g in operation.default_graphs]
        if operation.dataset_given
        else None
    )
    named = (
        [named_node(g, "named-graph-uri").value for g in operation.named_graphs] if operation.dataset_given else None
    )
    store = current_store()
    check_query(
        store, settings().safety, operation.text, default_graphs=default, named_graphs=named, base_iri=request.base_url
    )
    pool = store_handle().pool()
    if pool is None:  # a SPARQL server: the checked text, as an HTTP request with the timeout
        raw = store.query(operation.text, default_graphs=default, named_graphs=named, base_iri=request.base_url)
        # the triples a SPARQL server's graph answer was parsed into, or its result set
        kind = "graph" if isinstance(raw, (ox.QueryTriples, list)) else "solutions"
        chosen, media_type = choose_format(FORMATS_OF[kind], request)
        return serialize(raw, chosen.name, limit=settings().max_result_bytes), media_type
    acceptable = _acceptable()
    job = QueryJob(
        operation.text,
        {kind: chosen.name for kind, (chosen, _) in acceptable.items()},
        default,
        named,
        request.base_url,
        settings().max_result_bytes,
    )
    try:
        answer = pool.run(
            job,
            client=client_of(request),
            deadline=deadline(settings().query_timeout),
            still_wanted=still_connected(request),
        )
    except QueryTimeout:
        TIMEOUTS.inc()
        raise
    if answer.body is None:  # no acceptable format for this kind of answer: say which would be
        choose_format(FORMATS_OF[answer.kind], request)
        raise AssertionError("unreachable: choose_format accepted a format it refused before")
    return answer.body, acceptable[answer.kind][1]


FORMATS_OF = {"solutions": RESULT_FORMATS, "graph": GRAPH_RESULT_FORMATS}


def _acceptable() -> dict[str, tuple[Format, str]]:
    """The format (and media type) the request accepts for each kind of answer, where there is one."""
    chosen = {}
    for kind, formats in FORMATS_OF.items():
        with contextlib.suppress(NotAcceptable):
            chosen[kind] = choose_format(formats, request)
    return chosen


def run_update(operation: Operation) -> WriteReport:
    """Check who asks (401/403) and the dataset parameters (IRIs; 400 when combined with USING or
    WITH), then apply the update, with them written in, atomically behind the SHACL gate (422 when
    it would violate a shape). The writer checks that final text (LOAD, SERVICE, limits, syntax)."""
    require_writer(request, settings())
    default = [named_node(g, "using-graph-uri") for g in operation.default_graphs]
    named = [named_node(g, "using-named-graph-uri") for g in operation.named_graphs]
    if operation.dataset_given and analyse(operation.text).uses("USING", "WITH"):
        raise UsageError(
            "using-graph-uri / using-named-graph-uri may not be combined with USING or WITH "
            "in the update (SPARQL 1.1 Protocol §2.2.3)"
        )
    return writer().update(with_using(operation.text, default, named), base_iri=settings().public_base + "sparql")


def writer() -> Writer:
    found: Writer = current_app.extensions["exoowl_writer"]
    return found


def written(report: WriteReport, status: int = 200) -> Response:
    """The answer to a committed write: what it did, as JSON."""
    return Response(json.dumps(report.as_dict()), status=status, mimetype="application/json")


def describe_service() -> Response:
    chosen, media_type = choose_format(GRAPH_RESULT_FORMATS, request)
    triples = service_description(
        request.base_url,
        store_handle().statistics(),
        [f.iri for f in (*RESULT_FORMATS, *GRAPH_RESULT_FORMATS)],
        remote=settings().remote_access.anything,
        updates=bool(settings().update_token),
    )
    return _answer(serialize(triples, chosen.name, SD_PREFIXES), media_type)


def _answer(body: bytes, media_type: str) -> Response:
    response = Response(body, mimetype=media_type)
    response.vary.add("Accept")
    return response


@sparql_blueprint.route("/health")
def health() -> Response:
    current_store()
    return Response('{"status": "ok"}', mimetype="application/json")
