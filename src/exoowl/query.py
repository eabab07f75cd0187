"""Named queries (``queries/*.rq``) and query results in the formats researchers use.

A named query's header comment declares it::

    # question: Which exosomal miRNAs from a donor promote metastasis, and which genes do they target?
    # param: donor string optional  part of the donor's label, case-insensitive
    # example: exoowl query --name metastatic-mirnas --param donor=MDA-MB-231

Parameters are bound by a ``VALUES`` block placed at the start of the query's ``WHERE`` group and
of each sub-SELECT's, so the variable of the same name is bound throughout the query (its FILTERs
included) on any SPARQL 1.1 engine; an optional parameter that is not given stays unbound. The values are RDF terms
written by pyoxigraph (an IRI is validated first), never the raw text given, and the query that
runs is the one the safety policy checked (:func:`run_checked`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import InputError, NotFound, ResultTooLarge, UsageError
from .namespaces import PREFIXES
from .sparql_safety import Policy, named_node, where_groups
from .store import StoreProtocol
from .vocabulary import name_key

PARAM_TYPES = ("string", "name", "iri", "integer", "decimal")
_HEADER = re.compile(r"^#\s*(question|param|example|returns):\s*(.*)$")
_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s+(\w+)\s+(required|optional)\s*(.*)$")
SELECT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    required: bool
    description: str

    def bind(self, raw: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a value given on the command line or in a request."""
        if self.type == "iri":
            return named_node(expand(raw), f"parameter {self.name}")
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise UsageError(f"parameter {self.name} must be an integer, got {raw!r}")
            return ox.Literal(raw, datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))
        if self.type == "decimal":
            try:
                Decimal(raw)
            except InvalidOperation:
                raise UsageError(f"parameter {self.name} must be a number, got {raw!r}") from None
            return ox.Literal(raw, datatype=ox.NamedNode(PREFIXES["xsd"] + "decimal"))
        if self.type == "name":  # matched whole and case-insensitively against exoowl:nameKey
            return ox.Literal(name_key(raw))
        return ox.Literal(raw)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    question: str
    parameters: tuple[Parameter, ...]
    examples: tuple[str, ...]
    sparql: str

    def bindings(self, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            valid = ", ".join(known) or "none"
            raise UsageError(f"query {self.name!r} has no parameter {', '.join(unknown)} (valid: {valid})")
        missing = [p.name for p in self.parameters if p.required and p.name not in values]
        if missing:
            raise UsageError(f"query {self.name!r} needs parameter {', '.join(missing)}")
        return {name: known[name].bind(raw) for name, raw in values.items()}


def bind_values(sparql: str, bindings: Mapping[str, ox.NamedNode | ox.Literal]) -> str:
    """The query with ``VALUES (?a ?b) { (x y) }`` opening its WHERE group and each sub-SELECT's
    (a sub-SELECT sees only its own variables, so that a page of results can be chosen with them)."""
    if not bindings:
        return sparql
    names = " ".join(f"?{name}" for name in bindings)
    values = " ".join(str(term) for term in bindings.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    for at in reversed(where_groups(sparql)):
        sparql = f"{sparql[:at]}{block}{sparql[at:]}"
    return sparql


def expand(value: str) -> str:
    """A CURIE with a known prefix or an absolute IRI → absolute IRI (validated: UsageError else)."""
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return named_node(PREFIXES[prefix] + local).value
    if re.match(r"^[a-z][a-z0-9+.-]*://", value):
        return named_node(value).value
    raise UsageError(f"{value[:200]!r} is neither an absolute IRI nor a CURIE with a known prefix")


def run_checked(
    store: StoreProtocol,
    policy: Policy,
    sparql: str,
    *,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
) -> Any:
    """The one way a query from outside reaches the engine (CLI, Python API, server): the policy
    checks the exact text that then runs (SERVICE and FROM allow-list, limits, syntax)."""
    check_query(store, policy, sparql, default_graphs=default_graphs, named_graphs=named_graphs, base_iri=base_iri)
    return store.query(sparql, default_graphs=default_graphs, named_graphs=named_graphs, base_iri=base_iri)


def check_query(
    store: StoreProtocol,
    policy: Policy,
    sparql: str,
    *,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    base_iri: str | None = None,
) -> None:
    """The policy's check of a query from outside, on the exact text that will run; the server
    then runs it in a query process (``exoowl.isolation``), everything else through run_checked."""
    dataset_given = default_graphs is not None or named_graphs is not None
    policy.query(sparql, store.graphs, dataset_given=dataset_given, base_iri=base_iri)


def parse_named_query(path: Path) -> NamedQuery:
    question, params, examples = "", [], []
    text = path.read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        found = _HEADER.match(line)
        if not found:
            continue
        key, value = found.groups()
        if key == "question":
            question = value.strip()
        elif key == "example":
            examples.append(value.strip())
        elif key == "param":
            p = _PARAM.match(value.strip())
            if not p or p.group(2) not in PARAM_TYPES:
                raise InputError(
                    f"bad param line (NAME TYPE required|optional DESCRIPTION, TYPE one of {PARAM_TYPES})", path, number
                )
            params.append(Parameter(p.group(1), p.group(2), p.group(3) == "required", p.group(4).strip()))
    if not question:
        raise InputError("named query lacks a '# question:' header", path, 1)
    return NamedQuery(path.stem, path, question, tuple(params), tuple(examples), text)


def named_queries(queries_dir: Path) -> dict[str, NamedQuery]:
    return {p.stem: parse_named_query(p) for p in sorted(queries_dir.glob("*.rq"))}


def get_named_query(queries_dir: Path, name: str) -> NamedQuery:
    queries = named_queries(queries_dir)
    if name not in queries:
        raise NotFound(f"no named query {name!r} (valid: {', '.join(queries) or 'none'})")
    return queries[name]


def parse_params(pairs: Iterable[str]) -> dict[str, str]:
    """``["donor=MDA-MB-231"]`` → ``{"donor": "MDA-MB-231"}``."""
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"parameter {pair!r} is not NAME=VALUE")
        values[name.strip()] = value
    return values


def shorten(term: Any) -> str:
    """An RDF term as a researcher reads it: CURIEs for known namespaces, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, iri in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
            if term.value.startswith(iri) and prefix not in ("rdf", "xsd"):
                return f"{prefix}:{term.value[len(iri) :]}"
        return str(term.value)
    return str(term.value)


@dataclass
class QueryResult:
    """A materialised result: SELECT rows, an ASK boolean, or CONSTRUCT/DESCRIBE triples."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)

    @classmethod
    def from_oxigraph(cls, result: Any) -> QueryResult:
        if isinstance(result, ox.QueryBoolean):
            return cls("ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            return cls("select", variables=variables, rows=[list(s) for s in result])
        return cls("graph", triples=list(result))

    def records(self) -> list[dict[str, str]]:
        """Rows as dictionaries of readable strings."""
        return [{v: shorten(t) for v, t in zip(self.variables, row, strict=True)} for row in self.rows]

    def to_dataframe(self) -> Any:  # a pandas.DataFrame (pandas has no types here)
        import pandas as pd

        return pd.DataFrame(self.records(), columns=self.variables)

    def table(self) -> str:
        if self.kind == "ask":
            return "yes\n" if self.boolean else "no\n"
        from tabulate import tabulate

        body = tabulate(self.records(), headers="keys", tablefmt="simple") if self.rows else "(no results)"
        return f"{body}\n{len(self.rows)} row(s)\n" if self.rows else body + "\n"


def serialize(result: Any, fmt: str, prefixes: dict[str, str] | None = None, limit: int | None = None) -> bytes:
    """Serialise a raw pyoxigraph result (SELECT/ASK: json, xml, csv, tsv; graphs, or a list of
    triples: RDF formats, with our prefixes and any ``prefixes`` given). With ``limit``, an answer
    over that many bytes raises ResultTooLarge as soon as it gets there (results are lazy)."""
    out = _Bounded(limit)
    try:
        if isinstance(result, (ox.QueryBoolean, ox.QuerySolutions)):
            if fmt not in SELECT_FORMATS:
                raise UsageError(f"results are written as table, {', '.join(SELECT_FORMATS)}; not {fmt!r}")
            result.serialize(out, format=SELECT_FORMATS[fmt])
        else:
            if fmt not in GRAPH_FORMATS:
                raise UsageError(f"a graph result is written as one of {', '.join(GRAPH_FORMATS)}; not {fmt!r}")
            ox.serialize(result, out, format=GRAPH_FORMATS[fmt], prefixes={**PREFIXES, **(prefixes or {})})
    except _Overflow:
        raise ResultTooLarge(limit or 0) from None
    return out.getvalue()


class _Overflow(Exception):
    pass


class _Bounded(io.BytesIO):
    """A buffer that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int | None) -> None:
        super().__init__()
        self.limit = limit

    def write(self, data: Any) -> int:
        if self.limit is not None and self.tell() + len(data) > self.limit:
            raise _Overflow()
        return super().write(data)
