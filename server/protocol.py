"""Reading a SPARQL 1.1 Protocol request: which operation, its text and its dataset.

GET (``query`` in the URL), POST form (``application/x-www-form-urlencoded``) and POST direct
(``application/sparql-query`` / ``application/sparql-update``, UTF-8 only). A GET with no query
asks for the service description.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request
from werkzeug.datastructures import MultiDict

from exoowl.errors import UnsupportedMediaType, UsageError

FORM = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
DATASET_PARAMETERS = {
    "query": ("default-graph-uri", "named-graph-uri"),
    "update": ("using-graph-uri", "using-named-graph-uri"),
}


@dataclass(frozen=True)
class Operation:
    """``kind`` is "query", "update" or "service-description"."""

    kind: str
    text: str = ""
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def dataset_given(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


def read_operation(request: Request) -> Operation:
    if request.method in ("GET", "HEAD"):
        return _from_get(request.args)
    if request.mimetype == FORM:
        return _from_form(MultiDict([*request.args.items(multi=True), *request.form.items(multi=True)]))
    if request.mimetype in (QUERY_TYPE, UPDATE_TYPE):
        return _direct(request)
    got = request.mimetype or "no Content-Type"
    raise UnsupportedMediaType(
        f"POST a query as {FORM} (query=…) or {QUERY_TYPE}, an update as {FORM} (update=…) or {UPDATE_TYPE}; got {got}"
    )


def _from_get(params: MultiDict[str, str]) -> Operation:
    if "update" in params:
        raise UsageError("SPARQL Update is sent with POST, never GET")
    if "query" not in params:
        return Operation("service-description")
    return _operation("query", _single(params, "query"), params)


def _from_form(params: MultiDict[str, str]) -> Operation:
    if "query" in params and "update" in params:
        raise UsageError("a request carries a query or an update, not both")
    kind = "update" if "update" in params else "query"
    if kind not in params:
        raise UsageError("no query given: send it as the 'query' parameter (or 'update' for an update)")
    return _operation(kind, _single(params, kind), params)


def _direct(request: Request) -> Operation:
    kind = "query" if request.mimetype == QUERY_TYPE else "update"
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"{request.mimetype} bodies are read as UTF-8; got charset={charset}")
    if "query" in request.args or "update" in request.args:
        raise UsageError(f"the {kind} is in the body ({request.mimetype}): the URL may not carry one too")
    try:
        text = request.get_data().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"the request body is not UTF-8: {exc}") from exc
    return _operation(kind, text, request.args)


def _single(params: MultiDict[str, str], name: str) -> str:
    values = params.getlist(name)
    if len(values) > 1:
        raise UsageError(f"give exactly one '{name}' parameter; got {len(values)}")
    return values[0]


def _operation(kind: str, text: str, params: MultiDict[str, str]) -> Operation:
    if not text.strip():
        raise UsageError(f"the {kind} is empty")
    default, named = DATASET_PARAMETERS[kind]
    return Operation(kind, text, tuple(params.getlist(default)), tuple(params.getlist(named)))
