"""Reasoning: HermiT (owlready2) for consistency and classification; OWL 2 RL materialisation
(``reasonable``) of ontology + curated data into the inferred graph."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from .errors import ReasoningFailed
from .namespaces import EXOID

if TYPE_CHECKING:  # for the annotations; at run time the functions import owlready2 where they use it
    import owlready2


@dataclass(frozen=True)
class Classification:
    consistent: bool
    unsatisfiable: tuple[str, ...]
    inferred_subclass_axioms: tuple[tuple[str, str], ...]
    individuals_classified: int
    seconds: float
    inferred_types: tuple[tuple[str, str], ...] = ()  # (individual, class) pairs HermiT added, our individuals


def _load_world(files: list[Path]) -> tuple[owlready2.World, list[owlready2.Ontology]]:
    import owlready2

    world = owlready2.World()
    ontologies = [world.get_ontology(path.resolve().as_uri()).load() for path in files]
    return world, ontologies


def _individual_types(world: owlready2.World) -> set[tuple[str, str]]:
    """(individual, class) pairs of our individuals (owlready2's ``individuals()`` misses undeclared ones)."""
    import owlready2

    return {
        (i.iri, c.iri)
        for i in world.search(iri=f"{EXOID}*")
        if isinstance(i, owlready2.Thing)
        for c in i.is_a
        if isinstance(c, owlready2.ThingClass)
    }


def hermit(files: list[Path]) -> Classification:
    """Classify with HermiT; ``files`` are RDF/XML documents (release first, then data)."""
    import owlready2

    started = time.perf_counter()
    world, ontologies = _load_world(files)
    asserted = {(c.iri, p.iri) for c in world.classes() for p in c.is_a if isinstance(p, owlready2.ThingClass)}
    types_before = _individual_types(world)
    try:
        with ontologies[0]:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as exc:
        raise ReasoningFailed(f"HermiT: the ontology and data are inconsistent ({exc})") from exc
    unsat = tuple(sorted(c.iri for c in world.inconsistent_classes()))
    inferred = {
        (c.iri, p.iri) for c in world.classes() for p in c.is_a if isinstance(p, owlready2.ThingClass)
    } - asserted
    inferred_types = tuple(sorted(_individual_types(world) - types_before))
    world.close()
    return Classification(
        consistent=True,
        unsatisfiable=unsat,
        inferred_subclass_axioms=tuple(sorted(inferred)),
        individuals_classified=len(inferred_types),
        seconds=time.perf_counter() - started,
        inferred_types=inferred_types,
    )


def hermit_graphs(release: Graph, data: Graph | None = None) -> Classification:
    """HermiT over in-memory graphs (written to temporary RDF/XML files for owlready2)."""
    with tempfile.TemporaryDirectory(prefix="exoowl-hermit-") as tmp:
        files = [Path(tmp) / "exoowl.owl"]
        release.serialize(files[0], format="xml")
        if data is not None and len(data):
            files.append(Path(tmp) / "data.owl")
            header = Graph()
            header += data
            header.add((URIRef(files[1].resolve().as_uri()), RDF.type, OWL.Ontology))
            header.serialize(files[1], format="xml")
        return hermit(files)


def subclass_graph(classification: Classification) -> Graph:
    """HermiT's inferred subclass axioms between named classes, as triples."""
    graph = Graph()
    for sub, sup in classification.inferred_subclass_axioms:
        graph.add((URIRef(sub), RDFS.subClassOf, URIRef(sup)))
    return graph


def canonical_term(term: Node) -> Node:
    """``reasonable`` types plain literals as xsd:string; RDF 1.1 says they are the same term."""
    if isinstance(term, Literal) and term.datatype == XSD.string and term.language is None:
        return Literal(str(term))
    return term


def is_useful_entailment(s: Node, p: Node, o: Node) -> bool:
    """Drop entailments that only restate OWL's vocabulary or involve anonymous class expressions."""
    if isinstance(s, BNode) or isinstance(o, BNode):
        return False
    if p == RDF.type and o in (OWL.Thing, OWL.Class, RDFS.Resource, OWL.NamedIndividual):
        return False
    if p in (RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty, OWL.sameAs) and s == o:
        return False
    return not ((p == RDFS.subClassOf and o == OWL.Thing) or s == OWL.Nothing)


def materialise_rl(graph: Graph) -> Graph:
    """OWL 2 RL closure of ``graph``, minus what it asserts and minus vocabulary noise."""
    import reasonable

    reasoner = reasonable.PyReasoner()
    reasoner.from_graph(graph)
    inferred = Graph()
    for s, p, o in reasoner.reason():
        triple = (s, p, canonical_term(o))
        if triple not in graph and is_useful_entailment(*triple):
            inferred.add(triple)
    return inferred
