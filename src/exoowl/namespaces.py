"""The IRIs exoowl owns and the external prefixes it uses (see docs/model.md)."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

BASE = "https://w3id.org/exoowl/"
EXOOWL = Namespace(BASE + "ontology/")
EXOID = Namespace(BASE + "id/")
GRAPH = Namespace(BASE + "graph/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")

ONTOLOGY_IRI = BASE + "exoowl.owl"
REVIEW = EXOID["publication/review"]


def version_iri(version: str) -> str:
    """The dated version IRI of a release, e.g. ``…/releases/2026-11-29/exoowl.owl``."""
    return f"{BASE}releases/{version}/exoowl.owl"


GRAPH_ONTOLOGY = GRAPH["ontology"]
GRAPH_REVIEW = GRAPH["review"]
GRAPH_INFERRED = GRAPH["inferred"]
ASSERTED_GRAPHS = (GRAPH_ONTOLOGY, GRAPH_REVIEW)
IMPORT_GRAPHS = str(GRAPH) + "import/"  # one graph per imported source and file kind, e.g. …/import/exocarta/cargo


def is_import_graph(iri: str) -> bool:
    return iri.startswith(IMPORT_GRAPHS)


PREFIXES: dict[str, str] = {
    "exoowl": str(EXOOWL),
    "exoid": str(EXOID),
    "obo": str(OBO),
    "oboInOwl": str(OBOINOWL),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "prov": str(PROV),
}
