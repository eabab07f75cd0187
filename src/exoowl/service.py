"""The SPARQL 1.1 Service Description of the endpoint, with VoID statistics of each graph.

The statistics come from ``queries-internal/graph-statistics.rq``; the description is a list of
pyoxigraph triples that the server writes in whichever RDF format the client asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .namespaces import GRAPH_INFERRED
from .query import bind_values

INTERNAL_QUERIES = Path(__file__).resolve().parent / "queries-internal"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
ENT = "http://www.w3.org/ns/entailment/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
SD_PREFIXES = {"sd": SD, "void": VOID, "ent": ENT, "formats": "http://www.w3.org/ns/formats/"}
RL_COMMENT = (
    "The inferred graph holds the OWL 2 RL entailments of the ontology and curated data "
    "(materialised at build time; HermiT's inferred subclass axioms join it). OWL-RDF-Based is "
    "the closest standard regime: the RL rules are a sound, incomplete part of it."
)


@dataclass(frozen=True)
class GraphStatistics:
    graph: str
    triples: int
    subjects: int
    properties: int
    classes: int


def internal_query(name: str) -> str:
    return (INTERNAL_QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def graph_statistics(store: Any, known: dict[str, GraphStatistics] | None = None) -> list[GraphStatistics]:
    """VoID counts of every named graph. Graphs in ``known`` (counted earlier and unchanged since)
    are not counted again: at millions of imported triples that takes seconds."""
    known = known or {}
    if not known:
        return [_statistics(row) for row in store.query(internal_query("graph-statistics"))]
    fresh = [
        _statistics(row)
        for graph in store.graphs()
        if graph not in known
        for row in store.query(bind_values(internal_query("graph-statistics"), {"graph": ox.NamedNode(graph)}))
    ]
    return sorted([*fresh, *(known[g] for g in store.graphs() if g in known)], key=lambda s: s.graph)


def _statistics(row: Any) -> GraphStatistics:
    return GraphStatistics(
        row["graph"].value, *(int(row[v].value) for v in ("triples", "subjects", "properties", "classes"))
    )


def _sd(local: str) -> ox.NamedNode:
    return ox.NamedNode(SD + local)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))


def service_description(
    endpoint: str,
    statistics: Iterable[GraphStatistics],
    result_formats: Iterable[str],
    *,
    remote: bool = False,
    updates: bool = False,
) -> list[ox.Triple]:
    """sd:Service for ``endpoint``: language, result formats, features, entailment and the dataset."""
    service, dataset = ox.BlankNode(), ox.BlankNode()
    features = [_sd("UnionDefaultGraph")] + ([_sd("BasicFederatedQuery")] if remote else [])
    triples = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        *([ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update"))] if updates else []),
        *(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(f)) for f in result_formats),
        *(ox.Triple(service, _sd("feature"), f) for f in features),
        ox.Triple(service, _sd("defaultEntailmentRegime"), ox.NamedNode(ENT + "OWL-RDF-Based")),
        ox.Triple(service, RDFS_COMMENT, ox.Literal(RL_COMMENT)),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(service, _sd("availableGraphs"), dataset),
    ]
    return triples + _dataset(dataset, statistics)


def _dataset(dataset: ox.BlankNode, statistics: Iterable[GraphStatistics]) -> list[ox.Triple]:
    default = ox.BlankNode()
    triples = [
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, _sd("defaultGraph"), default),
        ox.Triple(default, RDF_TYPE, _sd("Graph")),
        ox.Triple(
            default,
            RDFS_COMMENT,
            ox.Literal(
                "For queries, the union of all graphs (the inferred graph included). For updates and the Graph "
                "Store protocol's ?default, the store's own default graph."
            ),
        ),
    ]
    for stats in statistics:
        named = ox.BlankNode()
        triples += [ox.Triple(dataset, _sd("namedGraph"), named), *_named_graph(named, stats)]
    return triples


def _named_graph(named: ox.BlankNode, stats: GraphStatistics) -> list[ox.Triple]:
    graph = ox.BlankNode()
    regime = "OWL-RDF-Based" if stats.graph == str(GRAPH_INFERRED) else "Simple"
    triples = [
        ox.Triple(named, RDF_TYPE, _sd("NamedGraph")),
        ox.Triple(named, _sd("name"), ox.NamedNode(stats.graph)),
        ox.Triple(named, _sd("entailmentRegime"), ox.NamedNode(ENT + regime)),
        ox.Triple(named, _sd("graph"), graph),
        ox.Triple(graph, RDF_TYPE, _sd("Graph")),
        ox.Triple(graph, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
    ]
    counts = {
        "triples": stats.triples,
        "distinctSubjects": stats.subjects,
        "properties": stats.properties,
        "classes": stats.classes,
    }
    triples += [ox.Triple(graph, ox.NamedNode(VOID + p), _int(n)) for p, n in counts.items()]
    if regime != "Simple":
        triples.append(ox.Triple(named, RDFS_COMMENT, ox.Literal(RL_COMMENT)))
    return triples
