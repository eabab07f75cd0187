"""Reasoning on a small ontology written here: which OWL 2 RL entailments go into the inferred
graph and which are dropped as noise, and what HermiT reports (classification, unsatisfiable
classes, inconsistency). Fast enough to run once per mutant (`make mutation`)."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from exoowl.errors import ReasoningFailed
from exoowl.reason import canonical_term, hermit_graphs, is_useful_entailment, materialise_rl, subclass_graph

EX = Namespace("https://w3id.org/exoowl/ontology/")
ID = Namespace("https://w3id.org/exoowl/id/")
PREFIXES = f"""@prefix owl: <{OWL}> . @prefix rdfs: <{RDFS}> . @prefix ex: <{EX}> . @prefix id: <{ID}> .
@prefix xsd: <{XSD}> . @prefix rdf: <{RDF}> .
"""
ONTOLOGY = (
    PREFIXES
    + """
<https://w3id.org/exoowl/ontology> a owl:Ontology .
ex:Exosome a owl:Class ; rdfs:subClassOf ex:ExtracellularVesicle .
ex:ExtracellularVesicle a owl:Class .
ex:TumorDerivedExosome a owl:Class ; owl:equivalentClass [ a owl:Class ;
    owl:intersectionOf ( ex:Exosome
        [ a owl:Restriction ; owl:onProperty ex:derivedFrom ; owl:someValuesFrom ex:TumorCell ] ) ] .
ex:TumorCell a owl:Class .
ex:derivedFrom a owl:ObjectProperty ; rdfs:domain ex:ExtracellularVesicle .
ex:carries a owl:ObjectProperty ; owl:inverseOf ex:carriedBy .
ex:carriedBy a owl:ObjectProperty .
ex:label a owl:DatatypeProperty .
"""
)
DATA = (
    PREFIXES
    + """
id:ev1 a ex:Exosome, owl:NamedIndividual ; ex:derivedFrom id:cell1 ; ex:carries id:cd63 ; ex:label "plain" .
id:cell1 a ex:TumorCell, owl:NamedIndividual .
id:cd63 a owl:NamedIndividual .
"""
)


def graph(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


@pytest.fixture(scope="module")
def inferred() -> Graph:
    return materialise_rl(graph(ONTOLOGY) + graph(DATA))


def test_the_rl_closure_keeps_the_entailments_about_our_terms(inferred: Graph) -> None:
    assert (ID.ev1, RDF.type, EX.ExtracellularVesicle) in inferred  # subclass
    assert (ID.ev1, RDF.type, EX.TumorDerivedExosome) in inferred  # the defined class (intersection)
    assert (ID.cd63, EX.carriedBy, ID.ev1) in inferred  # inverse property
    assert (ID.cell1, RDF.type, EX.TumorCell) not in inferred  # asserted: not repeated


def test_the_rl_closure_drops_vocabulary_noise_and_anonymous_class_expressions(inferred: Graph) -> None:
    assert all(not isinstance(t, BNode) for triple in inferred for t in triple)
    noise = {OWL.Thing, OWL.Class, RDFS.Resource, OWL.NamedIndividual}
    assert not [t for t in inferred.triples((None, RDF.type, None)) if t[2] in noise]
    assert not [(s, p) for s, p, o in inferred if s == o]  # A ⊑ A, x sameAs x, …
    assert (None, RDFS.subClassOf, OWL.Thing) not in inferred
    assert (OWL.Nothing, None, None) not in inferred
    assert all(not isinstance(o, Literal) or o.datatype != XSD.string for o in inferred.objects())
    assert len(inferred) < 40  # the closure without the filter has hundreds of triples


def test_the_filter_decides_triple_by_triple() -> None:
    a, b = EX.A, EX.B
    assert is_useful_entailment(ID.x, RDF.type, a)
    assert is_useful_entailment(a, RDFS.subClassOf, b)
    assert is_useful_entailment(ID.x, OWL.sameAs, ID.y)
    for noise in (OWL.Thing, OWL.Class, RDFS.Resource, OWL.NamedIndividual):
        assert not is_useful_entailment(ID.x, RDF.type, noise)
    for p in (RDFS.subClassOf, OWL.equivalentClass, RDFS.subPropertyOf, OWL.equivalentProperty, OWL.sameAs):
        assert not is_useful_entailment(a, p, a)
        assert is_useful_entailment(a, p, b)
    assert is_useful_entailment(ID.x, EX.p, ID.x)  # a property of our own may relate a thing to itself
    assert not is_useful_entailment(a, RDFS.subClassOf, OWL.Thing)
    assert is_useful_entailment(a, OWL.equivalentClass, OWL.Thing)
    assert is_useful_entailment(ID.x, EX.p, OWL.Thing)
    obo = URIRef("http://purl.obolibrary.org/obo/GO_1903561")  # IRIs that sort before OWL's and RDF's
    assert is_useful_entailment(ID.x, URIRef("http://purl.obolibrary.org/obo/RO_0002162"), OWL.Thing)
    assert is_useful_entailment(obo, RDFS.subClassOf, a)
    assert not is_useful_entailment(OWL.Nothing, RDFS.subClassOf, a)
    assert not is_useful_entailment(BNode(), RDF.type, a) and not is_useful_entailment(a, RDFS.subClassOf, BNode())


def test_plain_literals_are_one_term_whether_typed_xsd_string_or_not() -> None:
    assert canonical_term(Literal("x", datatype=XSD.string)) == Literal("x")
    assert canonical_term(Literal("x", datatype=XSD.string)).datatype is None
    assert canonical_term(Literal("x", lang="en")) == Literal("x", lang="en")
    assert canonical_term(Literal("1", datatype=XSD.integer)).datatype == XSD.integer
    assert canonical_term(URIRef("urn:x")) == URIRef("urn:x")


def test_hermit_classifies_classes_and_individuals() -> None:
    result = hermit_graphs(graph(ONTOLOGY), graph(DATA))
    assert result.consistent and result.unsatisfiable == () and result.seconds > 0
    # TumorDerivedExosome ≡ Exosome ⊓ ∃derivedFrom.TumorCell; Exosome ⊑ ExtracellularVesicle is asserted
    assert result.inferred_subclass_axioms == ((str(EX.TumorDerivedExosome), str(EX.Exosome)),)
    assert result.individuals_classified == 1  # ev1 is a TumorDerivedExosome
    assert set(subclass_graph(result)) == {(URIRef(EX.TumorDerivedExosome), RDFS.subClassOf, URIRef(EX.Exosome))}


def test_hermit_names_unsatisfiable_classes_and_refuses_inconsistent_data() -> None:
    clash = graph(
        PREFIXES + "ex:Impossible a owl:Class ; rdfs:subClassOf ex:Exosome, ex:TumorCell . "
        "ex:Exosome owl:disjointWith ex:TumorCell ."
    )
    result = hermit_graphs(graph(ONTOLOGY) + clash)
    assert result.consistent and result.unsatisfiable == (str(OWL.Nothing), str(EX.Impossible))  # sorted
    with pytest.raises(ReasoningFailed, match="inconsistent"):
        hermit_graphs(graph(ONTOLOGY) + clash, graph(DATA + "id:ev1 a ex:TumorCell ."))
