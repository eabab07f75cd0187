"""The release's quality checks, OBO style: every ``ontology/qc/*-violation.rq`` query must return no
rows on the committed release, and each one finds the defect it names when a copy of the release is
given one (so that a check that cannot fail is caught)."""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "ontology" / "exoowl.owl"
SOURCE_LABELS = ROOT / "data" / "mappings" / "reused_terms.tsv"
SOURCE_GRAPH = ox.NamedNode("https://w3id.org/exoowl/qc/source-labels")
EXOOWL = "https://w3id.org/exoowl/ontology/"
CHECKS = sorted((ROOT / "ontology" / "qc").glob("*-violation.rq"))
PREFIXES = """@prefix exoowl: <https://w3id.org/exoowl/ontology/> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
# per check, Turtle that gives the release the defect it looks for
DEFECTS = {
    "missing-label": 'exoowl:QcUnlabelled a owl:Class ; obo:IAO_0000115 "d"@en ; rdfs:subClassOf exoowl:Specimen .',
    "missing-definition": 'exoowl:QcUndefined a owl:ObjectProperty ; rdfs:label "qc undefined"@en .',
    "duplicate-label": 'exoowl:QcSpecimen a owl:Class ; rdfs:label "Vesicle source specimen"@en .',
    "multiple-labels": 'exoowl:Specimen rdfs:label "sample material"@en .',
    "multiple-definitions": 'exoowl:Specimen obo:IAO_0000115 "Qc: a second definition"@en .',
    "subclass-cycle": (
        "exoowl:Specimen rdfs:subClassOf exoowl:QcChild . exoowl:QcChild rdfs:subClassOf exoowl:Specimen ."
    ),
    "obsolete-in-use": "exoowl:QcOld owl:deprecated true . exoowl:QcNew rdfs:subClassOf exoowl:QcOld .",
    "duplicate-exact-synonym": 'exoowl:QcSpecimen2 oboInOwl:hasExactSynonym "vesicle source SPECIMEN"@en .',
    "synonym-not-in-source": 'obo:CL_0000451 oboInOwl:hasExactSynonym "Qc DC"@en .',
    "obsolete-with-axioms": "exoowl:QcGone owl:deprecated true ; rdfs:subClassOf exoowl:Specimen .",
    "class-without-parent": 'exoowl:QcOrphan a owl:Class ; rdfs:label "qc orphan"@en ; obo:IAO_0000115 "d"@en .',
    "definition-on-reused-term": 'obo:OBI_0100051 obo:IAO_0000115 "Qc: a specimen as we would define it"@en .',
    # a label other than the source's, and a reused term that the source-label table does not hold
    "label-mismatch-with-source": (
        'obo:CL_0000451 rdfs:label "Qc dendritic cells"@en . obo:UBERON_9999999 rdfs:label "Qc fluid"@en .'
    ),
    "reused-term-without-source": 'obo:CL_0000451 rdfs:isDefinedBy [] . obo:QcCell a owl:Class ; rdfs:label "qc"@en .',
    # a population as a cell: below CL 'cell', or its type's intersection naming a CL class
    "population-under-cell": (
        "exoowl:QcPopulation rdfs:subClassOf exoowl:CellPopulation , obo:CL_0000451 ."
        " exoowl:QcPopulation2 rdfs:subClassOf exoowl:CellPopulation ;"
        " owl:equivalentClass [ owl:intersectionOf ( exoowl:CellPopulation obo:CL_0000738 ) ] ."
    ),
}


def source_labels() -> list[ox.Quad]:
    """The reused terms' source labels and checked synonyms (data/mappings/reused_terms.tsv) as quads of
    SOURCE_GRAPH (synonyms as skos:altLabel)."""
    lines = [line for line in SOURCE_LABELS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    synonym = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
    quads = []
    for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        term = ox.NamedNode(row["iri"])
        quads.append(ox.Quad(term, label, ox.Literal(row["source_label"]), SOURCE_GRAPH))
        checked = [s for s in row["checked_synonyms"].split(" | ") if s]
        quads += [ox.Quad(term, synonym, ox.Literal(s), SOURCE_GRAPH) for s in checked]
    return quads


def release_store(extra: str = "") -> ox.Store:
    store = ox.Store()
    store.load(path=str(RELEASE), format=ox.RdfFormat.RDF_XML)
    store.extend(source_labels())
    if extra:
        store.load((PREFIXES + extra).encode(), format=ox.RdfFormat.TURTLE)
    return store


def rows(store: ox.Store, check: Path) -> list[tuple[str, ...]]:
    answer = store.query(check.read_text(encoding="utf-8"))
    assert isinstance(answer, ox.QuerySolutions)
    return [tuple(str(term) for term in row) for row in answer]


@pytest.fixture(scope="module")
def release() -> ox.Store:
    return release_store()


def test_every_check_has_a_defect_to_find() -> None:
    assert sorted(c.name.removesuffix("-violation.rq") for c in CHECKS) == sorted(DEFECTS)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_the_release_passes(release: ox.Store, check: Path) -> None:
    assert rows(release, check) == []


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.name)
def test_the_check_finds_its_defect(check: Path) -> None:
    found = rows(release_store(DEFECTS[check.name.removesuffix("-violation.rq")]), check)
    assert found and any("Qc" in cell or "Specimen" in cell for row in found for cell in row), found
    if check.name == "label-mismatch-with-source-violation.rq":  # a wrong label, and a term without a source
        assert {row[0] for row in found} == {
            "<http://purl.obolibrary.org/obo/CL_0000451>",
            "<http://purl.obolibrary.org/obo/UBERON_9999999>",
        }
    if check.name == "population-under-cell-violation.rq":  # both ways of making a population a cell
        assert {row[0] for row in found} >= {f"<{EXOOWL}QcPopulation>", f"<{EXOOWL}QcPopulation2>"}
