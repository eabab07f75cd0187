"""The Python API for notebooks: open, query, named queries, DataFrames, validation."""

from __future__ import annotations

import exoowl
from exoowl.config import Settings


def test_open_query_and_dataframe(built_mini: Settings) -> None:
    kg = exoowl.open(built_mini.store_path, root=built_mini.root)
    frame = kg.query(
        "SELECT ?l WHERE { ?x a <https://w3id.org/exoowl/ontology/CellLine> ; "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l"
    ).to_dataframe()
    assert list(frame["l"]) == ["A-549", "BGC-823"]


def test_named_query_with_parameter(built_mini: Settings) -> None:
    kg = exoowl.open(built_mini.store_path, root=built_mini.root)
    assert kg.run("problem-findings", line="BGC").records() == [{"finding": "exoid:finding/1", "lineLabel": "BGC-823"}]
    assert kg.run("problem-findings", line="HeLa").rows == []
    assert set(kg.named_queries()) == {"problem-findings"}


def test_asserted_leaves_inferences_out(built_mini: Settings) -> None:
    kg = exoowl.open(built_mini.store_path, root=built_mini.root)
    ask = "ASK { ?f a <https://w3id.org/exoowl/ontology/FindingOnProblematicLine> }"
    assert kg.query(ask).boolean is True
    assert kg.query(ask, asserted=True).boolean is False


def test_validate_and_build_from_the_api(mini: Settings) -> None:
    report = exoowl.build(mini.store_path, progress=lambda _: None, root=mini.root)
    assert report.graphs and not report.skipped
    result = exoowl.open(mini.store_path, root=mini.root).validate()
    assert result.conforms and result.violations == 0


def test_settings_accept_strings_for_typed_fields(tmp_path) -> None:
    from exoowl.config import load_settings

    settings = load_settings({"store": str(tmp_path / "s"), "port": "8123", "query_timeout": "2.5"}, environ={})
    assert settings.store_path == tmp_path / "s" and settings.port == 8123 and settings.query_timeout == 2.5
