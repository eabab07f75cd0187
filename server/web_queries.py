"""The web pages' internal SPARQL (``server/queries/*.rq``), run against the served store."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from exoowl.namespaces import BASE
from exoowl.query import NamedQuery, bind_values, parse_named_query, shorten

from .state import current_store

QUERIES_DIR = Path(__file__).resolve().parent / "queries"
LOCAL_SPACES = ("id/", "ontology/")

Term = ox.NamedNode | ox.Literal | ox.BlankNode


@cache
def internal_query(name: str) -> NamedQuery:
    return parse_named_query(QUERIES_DIR / f"{name}.rq")


def _text(name: str, bindings: dict[str, ox.NamedNode]) -> str:
    return bind_values(internal_query(name).sparql, bindings)


def select(name: str, **bindings: ox.NamedNode) -> list[dict[str, Term]]:
    """Rows of an internal SELECT query as {variable: term} (unbound variables left out)."""
    solutions = current_store().query(_text(name, bindings))
    variables = [v.value for v in solutions.variables]
    return [{v: t for v, t in zip(variables, row, strict=True) if t is not None} for row in solutions]


def construct(name: str, **bindings: ox.NamedNode) -> list[ox.Triple]:
    return list(current_store().query(_text(name, bindings)))


def local_href(iri: str) -> str | None:
    """The path on this server of one of our IRIs (``…/id/gene/967`` → ``/id/gene/967``), else None."""
    if iri.startswith(BASE) and iri[len(BASE) :].startswith(LOCAL_SPACES):
        return "/" + iri[len(BASE) :]
    return None


def href(iri: str) -> str:
    """Where a link to a resource goes: its page here when it is ours, else the IRI itself."""
    return local_href(iri) or iri


def display(term: Any, label: Any = None) -> str:
    """A label when there is one, else the CURIE or literal value."""
    return label.value if label is not None else shorten(term)
