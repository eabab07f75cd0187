"""The build pipeline on the minimal fixture project: store swap, provenance, failures that leave
the served store untouched, staleness."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from exoowl.api import KnowledgeGraph
from exoowl.build import build, is_stale
from exoowl.config import Settings
from exoowl.errors import InputError, StoreError, ValidationFailed
from exoowl.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REVIEW
from exoowl.store import Store, StoreLocation


def open_kg(settings: Settings) -> KnowledgeGraph:
    return KnowledgeGraph(settings, Store.open(settings.store_path))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def snapshot(settings: Settings) -> tuple[str, dict[str, int]]:
    target = os.readlink(settings.store_path)
    return target, open_kg(settings).counts()


def test_build_writes_one_named_graph_per_source(built_mini: Settings) -> None:
    counts = open_kg(built_mini).counts()
    assert set(counts) == {str(GRAPH_ONTOLOGY), str(GRAPH_REVIEW), str(GRAPH_INFERRED)}
    assert all(n > 0 for n in counts.values())


def test_default_graph_is_the_union(built_mini: Settings) -> None:
    kg = open_kg(built_mini)
    rows = kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows
    assert int(rows[0][0].value) == sum(kg.counts().values())


def test_every_curated_fact_row_carries_provenance(built_mini: Settings) -> None:
    kg = open_kg(built_mini)
    rows = kg.query("""PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
        SELECT ?f ?ref ?pub WHERE { ?f a exoowl:Finding ; exoowl:hasSource ?ref ; exoowl:reportedIn ?pub }""").records()
    assert {r["ref"] for r in rows} == {"exoid:reference/91", "exoid:reference/81"}
    assert {r["pub"] for r in rows} == {"exoid:publication/review"}


def test_defined_class_classifies_curated_individuals(built_mini: Settings) -> None:
    kg = open_kg(built_mini)
    inferred = kg.query("""PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
        SELECT ?f WHERE { GRAPH <https://w3id.org/exoowl/graph/inferred> { ?f a exoowl:FindingOnProblematicLine } }""")
    assert [r["f"] for r in inferred.records()] == ["exoid:finding/1"]
    asserted = kg.query(
        """PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
        ASK { ?f a exoowl:FindingOnProblematicLine }""",
        asserted=True,
    )
    assert asserted.boolean is False


def test_malformed_row_stops_the_build_and_keeps_the_old_store(built_mini: Settings) -> None:
    before = snapshot(built_mini)
    table = built_mini.curated_dir / "lines.tsv"
    append(table, "hela\tHeLa\tCVCL_0030\tmaybe\n")
    with pytest.raises(InputError) as caught:
        build(built_mini)
    assert caught.value.path == table and caught.value.line == 4 and caught.value.column == "flagged"
    assert "lines.tsv:4:flagged" in caught.value.one_line()
    assert snapshot(built_mini) == before


def test_shacl_violation_stops_the_build_and_keeps_the_old_store(built_mini: Settings) -> None:
    before = snapshot(built_mini)
    table = built_mini.curated_dir / "lines.tsv"
    append(table, "hela\tHeLa\tHELA-1\tfalse\n")
    with pytest.raises(ValidationFailed) as caught:
        build(built_mini)
    assert caught.value.report.violations == 1
    assert snapshot(built_mini) == before


def test_row_pointing_at_an_unsafe_iri_is_an_input_error(built_mini: Settings) -> None:
    table = built_mini.curated_dir / "findings.tsv"
    append(table, "3\tHs 578T\t74\n")
    with pytest.raises(InputError, match=r"findings.tsv:5:line"):
        build(built_mini)


def test_malformed_reference_is_an_input_error(built_mini: Settings) -> None:
    table = built_mini.curated_dir / "findings.tsv"
    append(table, "3\ta549\tref 12\n")
    with pytest.raises(InputError, match=r"findings.tsv:5:reference: reference 'ref 12' is not a number"):
        build(built_mini)


def test_uncited_row_rests_on_the_review_alone(built_mini: Settings) -> None:
    table = built_mini.curated_dir / "findings.tsv"
    append(table, "3\ta549\t\n")
    build(built_mini)
    rows = open_kg(built_mini).query("""PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
        SELECT ?p WHERE { <https://w3id.org/exoowl/id/finding/3> ?p ?o
                          FILTER(?p IN (exoowl:hasSource, exoowl:reportedIn)) }""")
    assert [r["p"] for r in rows.records()] == ["exoowl:reportedIn"]


def test_staleness_follows_the_inputs(built_mini: Settings) -> None:
    assert not is_stale(built_mini)
    assert build(built_mini, only_if_stale=True).skipped
    table = built_mini.curated_dir / "lines.tsv"
    append(table, "hela\tHeLa\tCVCL_0030\tfalse\n")
    assert is_stale(built_mini)
    report = build(built_mini, only_if_stale=True)
    assert not report.skipped and report.tables["lines.tsv"] == 3


def test_interrupted_build_is_reported_and_removed(built_mini: Settings) -> None:
    location = StoreLocation(built_mini.store_path)
    leftover = location.new_build()
    messages: list[str] = []
    build(built_mini, progress=messages.append)
    assert any("interrupted build" in m and leftover.name in m for m in messages)
    assert not leftover.exists()


def test_old_builds_are_pruned_once_no_query_can_still_read_them(built_mini: Settings) -> None:
    location = StoreLocation(built_mini.store_path)
    for _ in range(2):
        build(built_mini)  # superseded builds stay twice the query timeout (60 s here)
    assert len(list(location.builds_dir.iterdir())) == 3
    build(replace(built_mini, query_timeout=0.001))
    assert len(list(location.builds_dir.iterdir())) == 2


def test_a_path_that_is_not_a_store_is_refused(mini: Settings, tmp_path: Path) -> None:
    mini.store_path.mkdir(parents=True)
    with pytest.raises(StoreError, match="not an exoowl store"):
        build(mini)


def test_release_is_regenerated_by_the_build(mini: Settings) -> None:
    mini.release_file.unlink(missing_ok=True)
    report = build(mini)
    assert report.release_written and mini.release_file.exists()
    assert not build(mini).release_written
    mini.edit_file.write_text(mini.edit_file.read_text().replace('"finding"', '"reported finding"'))
    assert build(mini).release_written
    assert "reported finding" in mini.release_file.read_text()


def test_mapping_column_missing_from_the_header_names_the_header_line(built_mini: Settings) -> None:
    mapping = built_mini.mappings_dir / "findings.toml"
    append(mapping, '\n[columns.colour]\npredicate = "rdfs:comment"\n')
    with pytest.raises(InputError, match=r"findings.tsv:2: columns \['colour'\] declared in findings.toml"):
        build(built_mini)


def test_controlled_vocabulary_maps_values_and_rejects_others(built_mini: Settings) -> None:
    kg = open_kg(built_mini)
    taxa = kg.query("SELECT DISTINCT ?t WHERE { ?l <http://purl.obolibrary.org/obo/RO_0002162> ?t }").records()
    assert taxa == [{"t": "obo:NCBITaxon_9606"}]
    table = built_mini.curated_dir / "lines.tsv"
    append(table, "hela\tHeLa\tCVCL_0030\tfalse\tmartian\n")
    with pytest.raises(InputError, match=r"lines.tsv:4:species: 'martian' is not one of \['human'\]"):
        build(built_mini)
