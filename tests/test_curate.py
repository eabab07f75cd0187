"""Curated-table mappings: columns whose triple points from the value to the row (inverse), and
columns whose cell is a whole IRI."""

from __future__ import annotations

from pathlib import Path

import pytest

from exoowl.curate import TableMapping, load_mapping, table_graph
from exoowl.errors import InputError


def mapping(tmp_path: Path, tsv: str, columns: str, subject: str = "value/{id}") -> TableMapping:
    """A one-table mapping: ``t.tsv`` with ``tsv`` as its text, and ``columns`` as its TOML columns."""
    (tmp_path / "t.tsv").write_text(tsv, encoding="utf-8")
    (tmp_path / "t.toml").write_text(f'table = "t.tsv"\nsubject = "{subject}"\n{columns}', encoding="utf-8")
    return load_mapping(tmp_path / "t.toml")


def test_an_inverse_column_points_from_the_value_to_the_row(tmp_path: Path) -> None:
    columns = '[columns.finding]\npredicate = "obo:OBI_0001938"\nobject = "finding/{}"\ninverse = true\n'
    graph, _ = table_graph(mapping(tmp_path, "id\tfinding\nv1\tf1\n", columns), tmp_path)
    triples = {(str(s), str(p), str(o)) for s, p, o in graph}
    assert triples == {
        (
            "https://w3id.org/exoowl/id/finding/f1",
            "http://purl.obolibrary.org/obo/OBI_0001938",
            "https://w3id.org/exoowl/id/value/v1",
        )
    }


def test_an_inverse_column_of_literals_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="inverse column needs IRI values"):
        mapping(tmp_path, "id\tnote\n", '[columns.note]\npredicate = "rdfs:comment"\ninverse = true\n')


URL_COLUMN = '[columns.url]\npredicate = "rdfs:seeAlso"\niri = "{}"\n'


@pytest.mark.parametrize("cell", ["www.exocarta.org", "http://exo carta.org", "javascript:alert(1)"])
def test_a_whole_iri_cell_must_be_an_absolute_http_iri(tmp_path: Path, cell: str) -> None:
    table = mapping(tmp_path, f"id\turl\nv1\t{cell}\n", URL_COLUMN, subject="db/{id}")
    with pytest.raises(InputError, match="absolute http"):
        table_graph(table, tmp_path)


def test_a_whole_iri_cell_is_kept_as_it_is(tmp_path: Path) -> None:
    table = mapping(tmp_path, "id\turl\nv1\thttp://www.exocarta.org/path?q=1\n", URL_COLUMN, subject="db/{id}")
    graph, _ = table_graph(table, tmp_path)
    assert {str(o) for o in graph.objects()} == {"http://www.exocarta.org/path?q=1"}
