"""The Python API for notebooks and scripts; the CLI and the server call the same functions.

>>> import exoowl
>>> kg = exoowl.open()                      # the default store, var/store
>>> kg.run("metastatic-mirnas", donor="MDA-MB-231").to_dataframe()
>>> kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rdflib import Graph

from .build import BuildReport, Progress
from .build import build as _build
from .config import Settings, load_settings
from .namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REVIEW
from .query import NamedQuery, QueryResult, bind_values, get_named_query, named_queries, run_checked
from .rdfio import parse_file, to_rdflib
from .remote import RemoteStore
from .store import Closing, Store, StoreProtocol
from .validate import Report, load_shapes, validate_graph


class KnowledgeGraph(Closing):
    """An open exoowl store with its named queries and shapes."""

    def __init__(self, settings: Settings, store: StoreProtocol) -> None:
        self.settings = settings
        self.store = store

    def close(self) -> None:
        """Release the store (its database files or HTTP connections) now; closing twice is harmless."""
        self.store.close()

    # queries ----------------------------------------------------------------
    def execute(self, sparql: str, *, asserted: bool = False, bindings: dict[str, Any] | None = None) -> Any:
        """The raw pyoxigraph result; ``asserted`` leaves the inferred graph out of the default graph.
        The query passes the settings' safety policy (SERVICE allow-list, limits) as at the endpoint."""
        return run_checked(
            self.store,
            self.settings.safety,
            bind_values(sparql, bindings or {}),
            default_graphs=self.asserted_graphs() if asserted else None,
        )

    def query(self, sparql: str, *, asserted: bool = False) -> QueryResult:
        """Run an ad-hoc SPARQL query over the union of the graphs (or the asserted ones)."""
        return QueryResult.from_oxigraph(self.execute(sparql, asserted=asserted))

    def named_queries(self) -> dict[str, NamedQuery]:
        return named_queries(self.settings.queries_dir)

    def run(self, name: str, *, asserted: bool = False, **params: str) -> QueryResult:
        """Run a named query from ``queries/`` with its parameters."""
        named = get_named_query(self.settings.queries_dir, name)
        return QueryResult.from_oxigraph(self.execute(named.sparql, asserted=asserted, bindings=named.bindings(params)))

    def asserted_graphs(self) -> list[str]:
        return [g for g in self.store.graphs() if g != str(GRAPH_INFERRED)]

    # graphs -----------------------------------------------------------------
    def graph(self, iri: str) -> Graph:
        """A named graph of the store as an rdflib graph."""
        return to_rdflib(self.store.triples(iri))

    def validate(self, data_file: Path | None = None) -> Report:
        """SHACL-validate the curated graph (or a Turtle file) against ``ontology/shapes``."""
        data = parse_file(data_file) if data_file else self.graph(str(GRAPH_REVIEW))
        return validate_graph(data, load_shapes(self.settings.shapes_dir), self.graph(str(GRAPH_ONTOLOGY)))

    def counts(self) -> dict[str, int]:
        return {g: self.store.count(g) for g in self.store.graphs()}


def open(store: Path | str | None = None, **overrides: Any) -> KnowledgeGraph:
    """Open a built store (default: the configured one) read-only, or a SPARQL server
    (``sparql+http://…``, see :mod:`exoowl.remote`)."""
    settings = load_settings({"store": store, **overrides})
    if settings.remote_store:
        return KnowledgeGraph(settings, RemoteStore.open(settings.remote_store, timeout=settings.query_timeout))
    return KnowledgeGraph(settings, Store.open(settings.store_path, read_only=True))


def build(
    store: Path | str | None = None, progress: Progress = print, only_if_stale: bool = False, **overrides: Any
) -> BuildReport:
    """Build the knowledge graph into a new store and swap it in."""
    settings = load_settings({"store": store, **overrides})
    return _build(settings, progress=progress, only_if_stale=only_if_stale)
