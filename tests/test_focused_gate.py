"""The focused SHACL gate (exoowl.focus): a write is judged on the nodes it touched, with the
results full validation gives for those nodes. On the real project (its shapes, ontology and
curated data) built once for the module, plus one shape targeting objects (``sh:targetObjectsOf``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from exoowl.build import build
from exoowl.config import Settings, load_settings
from exoowl.errors import ValidationFailed
from exoowl.focus import Changes, apply_update
from exoowl.rdfio import parse_file
from exoowl.store import SHAPES, Store, StoreLocation
from exoowl.validate import Report
from exoowl.write import Writer, focus_of, gate, run_update, transaction

ROOT = Path(__file__).resolve().parents[1]
EXO = "https://w3id.org/exoowl/ontology/"
EX = "http://example.org/focus/"
PREFIXES = f"PREFIX exoowl: <{EXO}> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX ex: <{EX}> "
TARGETS_LABELLED = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
<urn:shape:target> a sh:NodeShape ; sh:targetObjectsOf <{EXO}hasTarget> ;
  sh:property [ sh:path <http://www.w3.org/2000/01/rdf-schema#label> ; sh:minCount 1 ;
                sh:message "a target has a label" ] .
"""


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    base = tmp_path_factory.mktemp("focused")
    for part in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / part, base / "root" / part)
    settings = load_settings({"root": base / "root", "store": base / "store"}, environ={})
    build(settings)
    shapes = StoreLocation(settings.store_path).current() / SHAPES
    shapes.write_text(shapes.read_text() + TARGETS_LABELLED)
    return settings


def writer(settings: Settings, **options: object) -> Writer:
    return Writer(StoreLocation(settings.store_path), grace=0, **options)


def one(settings: Settings, select: str, *names: str) -> list[str]:
    rows = list(Store.open(settings.store_path).query(PREFIXES + select))
    assert rows, select
    return [rows[0][n].value for n in names]


def refused(settings: Settings, update: str) -> list[dict]:
    before = StoreLocation(settings.store_path).current()
    with pytest.raises(ValidationFailed) as failed:
        writer(settings).update(PREFIXES + update)
    assert failed.value.http_status == 422
    assert StoreLocation(settings.store_path).current() == before
    return failed.value.extensions()["report"]["results"]


def test_an_inserted_violation_is_refused_and_only_the_touched_nodes_were_validated(real: Settings) -> None:
    results = refused(real, "INSERT DATA { ex:g1 a exoowl:Gene ; rdfs:label 'G1' ; exoowl:ncbiGeneId '0x1' }")
    assert [(r["focus"], r["severity"]) for r in results if r["severity"] == "Violation"] == [(f"{EX}g1", "Violation")]
    report = writer(real).update(
        PREFIXES + "INSERT DATA { ex:g2 a exoowl:Gene ; rdfs:label 'G2' ; exoowl:ncbiGeneId '12' }"
    )
    assert report.validated.startswith("the ") and "node(s) the write touched" in report.validated


def test_deleting_a_required_property_is_refused(real: Settings) -> None:
    kit, vendor = one(real, "SELECT ?k ?v { GRAPH ?g { ?k a exoowl:IsolationKit ; exoowl:vendor ?v } }", "k", "v")
    results = refused(
        real,
        f"DELETE DATA {{ GRAPH <https://w3id.org/exoowl/graph/review> "
        f"{{ <{kit}> exoowl:vendor {ox.Literal(vendor)} }} }}",
    )
    assert any(r["focus"] == kit and r["message"] == "a kit has one vendor" for r in results)


def test_removing_a_values_type_is_refused_at_the_node_that_points_to_it(real: Settings) -> None:
    finding, gene = one(
        real,
        "SELECT ?f ?t { GRAPH <https://w3id.org/exoowl/graph/review> { ?f exoowl:hasTarget ?t . ?t a exoowl:Gene } }",
        "f",
        "t",
    )
    results = refused(
        real,
        f"WITH <https://w3id.org/exoowl/graph/review> DELETE {{ <{gene}> a exoowl:Gene }} WHERE {{ <{gene}> a ?t }}",
    )
    assert any(r["focus"] == finding and r["message"] == "targets are genes" for r in results)


def test_the_violating_node_may_be_the_object_of_the_inserted_triple(real: Settings) -> None:
    finding = one(real, "SELECT ?f { GRAPH ?g { ?f a exoowl:TransferFinding } }", "f")[0]
    results = refused(real, f"INSERT DATA {{ <{finding}> exoowl:hasTarget ex:unlabelled }}")
    assert any(r["focus"] == f"{EX}unlabelled" and r["message"] == "a target has a label" for r in results)
    # a Graph Store write of the same triple is refused the same way
    with pytest.raises(ValidationFailed):
        writer(real).post_graph(
            None, [ox.Triple(ox.NamedNode(finding), ox.NamedNode(f"{EXO}hasTarget"), ox.NamedNode(f"{EX}unlabelled"))]
        )


def test_forms_that_cannot_be_analysed_validate_the_whole_graph_and_still_refuse(real: Settings) -> None:
    results = refused(real, "INSERT DATA { [] a exoowl:CellLine ; exoowl:cellosaurusId 'not one' }")
    assert any("Cellosaurus" in r["message"] for r in results)
    report = writer(real).update(PREFIXES + "INSERT DATA { ex:ok rdfs:label [ rdfs:label 'b' ] }")
    assert report.validated.startswith("the whole data graph: INSERT DATA with blank nodes")
    report = writer(real).update(
        PREFIXES + f"DROP GRAPH <{EX}never> ; CREATE GRAPH <{EX}new>".replace("DROP", "DROP SILENT")
    )
    assert report.validated == "the 0 node(s) the write touched"


def test_violations_already_elsewhere_do_not_refuse_writes_that_do_not_touch_them(real: Settings) -> None:
    """A store can hold violations the gate never saw (a restore, an older build's shapes): writes
    are judged on what they touch; touching the broken node means leaving it conforming."""
    location = StoreLocation(real.store_path)
    broken = ox.Quad(ox.NamedNode(f"{EX}broken"), ox.NamedNode(f"{EXO}cellosaurusId"), ox.Literal("CVCL?"))
    typed = ox.Quad(
        broken.subject, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(f"{EXO}CellLine")
    )

    def ungated(store: Store, _build: Path) -> None:
        store.db.extend([broken, typed])

    transaction(location, ungated, lambda previous, _: previous, lock_timeout=10, grace=0)
    unrelated = PREFIXES + "INSERT DATA { ex:g3 a exoowl:Gene ; rdfs:label 'G3' ; exoowl:ncbiGeneId '3' }"
    with pytest.raises(ValidationFailed):
        writer(real, focused=False).update(unrelated)  # the whole-graph gate refuses everything
    assert writer(real).update(unrelated).validated.endswith("touched")
    refused(real, "INSERT DATA { ex:broken rdfs:label 'still no accession' }")
    writer(real).update(
        PREFIXES + "DELETE DATA { ex:broken exoowl:cellosaurusId 'CVCL?' } ; INSERT DATA { ex:broken rdfs:label 'L' }"
    )
    assert writer(real, focused=False).update(PREFIXES + "INSERT DATA { ex:x rdfs:label 'x' }")


# focused results equal full validation's for the touched nodes, over generated writes ----------------
def _copy(settings: Settings) -> Store:
    copy = Store.in_memory()
    committed = Store.open(settings.store_path)
    copy.db.extend(committed.db)
    return copy


def _report(store: Store, shapes: Path, changes: Changes | None) -> Report:
    try:
        report, _ = gate(store, shapes, changes)
    except ValidationFailed as failed:
        report = failed.report  # type: ignore[assignment]
    assert report is not None
    return report


def _seen(report: Report, nodes: set[str] | None = None) -> list[tuple]:
    """Results without the source shape (property shapes are blank nodes named anew per parse)."""
    seen = [(r.focus, r.path or "", r.value or "", r.severity, r.message) for r in report.results]
    return sorted(r for r in seen if nodes is None or r[0] in nodes)


NODES = st.sampled_from(["gene", "finding", "kit", "reference", "line", "new"])
PREDICATES = st.sampled_from(
    [
        "rdfs:label",
        "exoowl:ncbiGeneId",
        "exoowl:hasTarget",
        "exoowl:vendor",
        "exoowl:referenceNumber",
        "exoowl:cellosaurusId",
        "a",
        "exoowl:hasOutcome",
    ]
)
VALUES = st.sampled_from(
    [
        "'x'",
        "'12'",
        "'CVCL_0062'",
        "7",
        "-1",
        "exoowl:Gene",
        "exoowl:CellLine",
        "<gene>",
        "<finding>",
        "<kit>",
        "ex:new",
    ]
)
FORMS = st.sampled_from(["insert", "delete", "modify", "delete-where", "graph-put"])
WRITES = st.lists(st.tuples(FORMS, NODES, PREDICATES, VALUES), min_size=1, max_size=3)


@pytest.fixture(scope="module")
def sample_nodes(real: Settings) -> dict[str, str]:
    names = {
        "gene": "?x a exoowl:Gene", "finding": "?x a exoowl:TransferFinding", "kit": "?x a exoowl:IsolationKit",
        "reference": "?x a exoowl:CitedReference", "line": "?x a exoowl:CellLine",
    }  # fmt: skip
    found = {
        k: one(real, f"SELECT ?x {{ GRAPH <https://w3id.org/exoowl/graph/review> {{ {p} }} }}", "x")[0]
        for k, p in names.items()
    }
    return {**found, "new": f"{EX}new"}


def _text(kind: str, node: str, predicate: str, value: str, nodes: dict[str, str]) -> str:
    for name, iri in nodes.items():
        value = value.replace(f"<{name}>", f"<{iri}>")
    triple = f"<{node}> {predicate} {value}"
    review = "<https://w3id.org/exoowl/graph/review>"
    return {
        "insert": f"INSERT DATA {{ GRAPH {review} {{ {triple} }} }}",
        "delete": f"DELETE DATA {{ GRAPH {review} {{ {triple} }} }}",
        "modify": f"DELETE {{ GRAPH ?g {{ <{node}> {predicate} ?o }} }} INSERT {{ GRAPH ?g {{ {triple} }} }} "
        f"WHERE {{ GRAPH ?g {{ <{node}> {predicate} ?o }} }}",
        "delete-where": f"DELETE WHERE {{ GRAPH ?g {{ <{node}> {predicate} ?o }} }}",
        "graph-put": f"DROP SILENT GRAPH <{EX}put> ; INSERT DATA {{ GRAPH <{EX}put> {{ {triple} }} }}",
    }[kind]


@hypothesis_settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES)
def test_focused_results_equal_full_validations_for_the_touched_nodes(
    real: Settings, sample_nodes: dict[str, str], writes
) -> None:
    shapes = StoreLocation(real.store_path).current() / SHAPES
    store = _copy(real)
    update = PREFIXES + " ; ".join(_text(kind, sample_nodes[n], p, v, sample_nodes) for kind, n, p, v in writes)
    changes = apply_update(store, update, None, lambda text: run_update(store, text, None))
    assert changes.unknown is None, changes.unknown
    scope = focus_of(store, parse_file(shapes, "turtle"), changes)
    assert not isinstance(scope, str), scope
    touched = {n.value for n in scope}
    assert {sample_nodes[n] for kind, n, _, _ in writes if kind in ("insert", "graph-put")} <= touched
    focused, full = _report(store, shapes, changes), _report(store, shapes, None)
    assert _seen(focused) == _seen(full, touched)
    assert focused.conforms == (not any(r.severity == "Violation" for r in full.results if r.focus in touched))


def test_an_instance_of_a_subclass_is_judged_by_its_superclass_shapes(real: Settings) -> None:
    # the Finding shape targets exoowl:Finding: the gate must read the ontology's subclass links
    # (a mutation that left the ontology out of the gate passed every other test)
    results = refused(real, "INSERT DATA { ex:f1 a exoowl:BiomarkerFinding ; rdfs:label 'F1' }")
    assert any(
        r["focus"] == f"{EX}f1" and r["message"] == "a finding names the publication that reports it" for r in results
    )
