"""Every SHACL shape has a conforming and a violating fixture (tests/fixtures/shapes/SHAPE.*.ttl)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from exoowl.validate import load_shapes, validate_graph

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
SHAPES = load_shapes(ROOT / "ontology" / "shapes")
NODE_SHAPES = sorted(str(s) for s in SHAPES.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef))


def owned_by(shape: str) -> set[str]:
    """The node shape and its property shapes: the sourceShape a result of this shape can carry."""
    node = URIRef(shape)
    return {shape, *(str(p) for p in SHAPES.objects(node, SH.property))}


def results_of(shape: str, fixture: str) -> list:
    data = Graph().parse(FIXTURES / f"{shape.rsplit('/', 1)[-1]}.{fixture}.ttl")
    report = validate_graph(data, SHAPES)
    return [r for r in report.results if r.shape in owned_by(shape)]


def test_there_are_shapes() -> None:
    assert len(NODE_SHAPES) >= 10


@pytest.mark.parametrize("shape", NODE_SHAPES)
def test_conforming_fixture_has_no_result(shape: str) -> None:
    assert results_of(shape, "conforms") == []


@pytest.mark.parametrize("shape", NODE_SHAPES)
def test_violating_fixture_violates(shape: str) -> None:
    results = results_of(shape, "violates")
    assert any(r.severity == "Violation" for r in results), results


def test_misev_encouraged_items_are_warnings_only() -> None:
    results = results_of("https://w3id.org/exoowl/shapes/EVCharacterisationShape", "warns")
    assert {r.severity for r in results} == {"Warning"}
    assert len(results) == 3
    assert any("single-vesicle imaging" in r.message for r in results)


def test_violating_gene_reports_each_bad_identifier() -> None:
    paths = {r.path for r in results_of("https://w3id.org/exoowl/shapes/GeneShape", "violates")}
    assert paths == {f"https://w3id.org/exoowl/ontology/{p}" for p in ("ncbiGeneId", "hgncId", "uniprotId")}
