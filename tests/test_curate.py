"""Curated-table mappings: columns whose triple points from the value to the row (inverse), and
columns whose cell is a whole IRI."""

from __future__ import annotations

from pathlib import Path

import pytest

from exoowl.curate import load_mapping, table_graph
from exoowl.errors import InputError


def test_an_inverse_column_points_from_the_value_to_the_row(tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("id\tfinding\nv1\tf1\n", encoding="utf-8")
    mapping = tmp_path / "t.toml"
    mapping.write_text(
        'table = "t.tsv"\nsubject = "value/{id}"\n[columns.finding]\npredicate = "obo:OBI_0001938"\n'
        'object = "finding/{}"\ninverse = true\n',
        encoding="utf-8",
    )
    graph, _ = table_graph(load_mapping(mapping), tmp_path)
    triples = {(str(s), str(p), str(o)) for s, p, o in graph}
    assert triples == {
        (
            "https://w3id.org/exoowl/id/finding/f1",
            "http://purl.obolibrary.org/obo/OBI_0001938",
            "https://w3id.org/exoowl/id/value/v1",
        )
    }


def test_an_inverse_column_of_literals_is_refused(tmp_path: Path) -> None:
    mapping = tmp_path / "t.toml"
    mapping.write_text(
        'table = "t.tsv"\nsubject = "value/{id}"\n[columns.note]\npredicate = "rdfs:comment"\ninverse = true\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="inverse column needs IRI values"):
        load_mapping(mapping)


@pytest.mark.parametrize("cell", ["www.exocarta.org", "http://exo carta.org", "javascript:alert(1)"])
def test_a_whole_iri_cell_must_be_an_absolute_http_iri(tmp_path: Path, cell: str) -> None:
    (tmp_path / "t.tsv").write_text(f"id\turl\nv1\t{cell}\n", encoding="utf-8")
    mapping = tmp_path / "t.toml"
    mapping.write_text(
        'table = "t.tsv"\nsubject = "db/{id}"\n[columns.url]\npredicate = "rdfs:seeAlso"\niri = "{}"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="absolute http"):
        table_graph(load_mapping(mapping), tmp_path)


def test_a_whole_iri_cell_is_kept_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("id\turl\nv1\thttp://www.exocarta.org/path?q=1\n", encoding="utf-8")
    mapping = tmp_path / "t.toml"
    mapping.write_text(
        'table = "t.tsv"\nsubject = "db/{id}"\n[columns.url]\npredicate = "rdfs:seeAlso"\niri = "{}"\n',
        encoding="utf-8",
    )
    graph, _ = table_graph(load_mapping(mapping), tmp_path)
    assert {str(o) for o in graph.objects()} == {"http://www.exocarta.org/path?q=1"}
