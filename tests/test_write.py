"""Writes to a built store (exoowl.write): atomic, SHACL-gated, one at a time, kept by the next build."""

from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from exoowl.build import build
from exoowl.config import Settings
from exoowl.errors import NotFound, QuerySyntaxError, StoreBusy, UpdateFailed, ValidationFailed
from exoowl.sparql_safety import with_using
from exoowl.store import Store, StoreLocation
from exoowl.write import Writer, parse_graph_payload

EX = "http://example.org/"
LINE_SHAPE_BREAKER = (
    f"PREFIX exoowl: <https://w3id.org/exoowl/ontology/> INSERT DATA {{ GRAPH <{EX}lab> {{ "
    f"<{EX}line> a exoowl:CellLine ; exoowl:cellosaurusId 'not an accession' }} }}"
)


def writer_for(settings: Settings, **options) -> Writer:
    return Writer(StoreLocation(settings.store_path), **options)


def ask(settings: Settings, sparql: str) -> bool:
    return bool(Store.open(settings.store_path).query(sparql))


def committed(settings: Settings) -> Path:
    current = StoreLocation(settings.store_path).current()
    assert current is not None
    return current


def test_an_update_commits_a_new_build_and_leaves_the_old_one_untouched(built_mini: Settings) -> None:
    before = committed(built_mini)
    report = writer_for(built_mini).update(f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}s> <{EX}p> 'v' }} }}")
    assert committed(built_mini) == report.build != before
    assert report.graphs[f"{EX}lab"] == 1
    assert ask(built_mini, f"ASK {{ GRAPH <{EX}lab> {{ <{EX}s> <{EX}p> 'v' }} }}")
    old = Store.open_directory(before / "oxigraph", read_only=True)
    assert not old.query(f"ASK {{ <{EX}s> ?p ?o }}")
    manifest = StoreLocation(built_mini.store_path).manifest()
    assert manifest["writes"] == 1 and manifest["inputs"]


def test_a_write_that_would_violate_a_shape_is_refused_with_the_report_and_changes_nothing(
    built_mini: Settings,
) -> None:
    before = committed(built_mini)
    with pytest.raises(ValidationFailed) as failed:
        writer_for(built_mini).update(LINE_SHAPE_BREAKER)
    assert failed.value.http_status == 422 and failed.value.exit_code == 1
    results = failed.value.extensions()["report"]["results"]
    assert any(r["focus"] == f"{EX}line" and "Cellosaurus" in r["message"] for r in results)
    assert committed(built_mini) == before
    assert StoreLocation(built_mini.store_path).interrupted() == []
    assert not ask(built_mini, f"ASK {{ <{EX}line> ?p ?o }}")


def test_the_gate_uses_the_shapes_the_store_was_built_with(built_mini: Settings) -> None:
    for shapes in built_mini.shapes_dir.glob("*.ttl"):
        shapes.unlink()  # the project's shapes change; the built store keeps its own
    with pytest.raises(ValidationFailed):
        writer_for(built_mini).update(LINE_SHAPE_BREAKER)


@pytest.mark.parametrize(
    "update, error",
    [
        ("INSERT DATA { <http://example.org/s> <http://example.org/p> }", QuerySyntaxError),
        (f"CREATE GRAPH <{EX}g> ; CREATE GRAPH <{EX}g>", UpdateFailed),
    ],
)
def test_a_bad_update_raises_a_typed_error_and_changes_nothing(built_mini: Settings, update: str, error) -> None:
    before = committed(built_mini)
    with pytest.raises(error):
        writer_for(built_mini).update(update)
    assert committed(built_mini) == before and StoreLocation(built_mini.store_path).interrupted() == []


def test_graph_store_operations_report_whether_they_created_the_graph(built_mini: Settings) -> None:
    writer = writer_for(built_mini)
    triples = parse_graph_payload(f"<{EX}a> <{EX}b> <{EX}c> .".encode(), "text/turtle", None)
    assert writer.put_graph(f"{EX}g", triples).created
    assert not writer.put_graph(f"{EX}g", triples).created
    more = parse_graph_payload(f"<{EX}a> <{EX}b> <{EX}d> .".encode(), "application/n-triples", None)
    assert writer.post_graph(f"{EX}g", more).graphs[f"{EX}g"] == 2
    assert writer.put_graph(None, triples).created and not writer.post_graph(None, more).created
    assert writer.delete_graph(f"{EX}g").graphs.get(f"{EX}g") is None
    with pytest.raises(NotFound):
        writer.delete_graph(f"{EX}g")


def test_a_build_keeps_graphs_written_through_the_endpoint_and_makes_its_own_anew(built_mini: Settings) -> None:
    writer = writer_for(built_mini)
    writer.update(f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}s> <{EX}p> 'kept' }} <{EX}d> <{EX}p> 'default' }}")
    writer.update("DROP GRAPH <https://w3id.org/exoowl/graph/review>")
    messages: list[str] = []
    report = build(built_mini, progress=messages.append)
    assert f"{EX}lab" in report.graphs
    assert any("2 write(s) through the endpoint" in m for m in messages)
    assert ask(built_mini, f"ASK {{ GRAPH <{EX}lab> {{ <{EX}s> <{EX}p> 'kept' }} }}")
    assert ask(built_mini, f"ASK {{ <{EX}d> <{EX}p> 'default' }}")
    assert ask(built_mini, "ASK { GRAPH <https://w3id.org/exoowl/graph/review> { ?s ?p ?o } }")
    assert StoreLocation(built_mini.store_path).manifest()["writes"] == 0


def test_concurrent_writers_are_serialised_and_every_acknowledged_write_is_kept(built_mini: Settings) -> None:
    def insert(i: int) -> None:
        writer_for(built_mini).update(f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}s{i}> <{EX}p> {i} }} }}")

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        list(pool.map(insert, range(24)))
    count = Store.open(built_mini.store_path).query(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{EX}lab> {{ ?s ?p ?o }} }}")
    assert int(next(count)["n"].value) == 24
    assert StoreLocation(built_mini.store_path).manifest()["writes"] == 24


def test_a_writer_waits_for_the_lock_then_gives_up_with_store_busy(built_mini: Settings) -> None:
    location = StoreLocation(built_mini.store_path)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with location.lock(5):
            held.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    try:
        with pytest.raises(StoreBusy):
            writer_for(built_mini, lock_timeout=0.2).update(f"INSERT DATA {{ <{EX}s> <{EX}p> 1 }}")
    finally:
        release.set()
        holder.join()
    assert writer_for(built_mini, lock_timeout=2).update(f"INSERT DATA {{ <{EX}s> <{EX}p> 1 }}").build


def test_superseded_builds_stay_for_the_grace_period_then_go(built_mini: Settings) -> None:
    location = StoreLocation(built_mini.store_path)
    first = committed(built_mini)
    for i in range(3):
        writer_for(built_mini, grace=3600).update(f"INSERT DATA {{ <{EX}s> <{EX}p> {i} }}")
    assert first.exists()
    writer_for(built_mini, grace=0).update(f"INSERT DATA {{ <{EX}s> <{EX}p> 9 }}")
    # pruned before the write: the newest two builds stay, and the write adds its own
    assert not first.exists() and len(list(location.builds_dir.iterdir())) == 3


def test_a_graph_payload_that_does_not_parse_names_line_and_column() -> None:
    with pytest.raises(Exception, match="line 1 column"):
        parse_graph_payload(b"<http://a> <http://b> .", "text/turtle", None)
    with pytest.raises(Exception, match="names graphs"):
        parse_graph_payload(b"<http://a> <http://b> <http://c> <http://g> .", "application/n-quads", None)


@pytest.mark.parametrize(
    "update, expected",
    [
        (
            "INSERT { ?s a <x:T> } WHERE { ?s ?p ?o }",
            "INSERT { ?s a <x:T> } USING <x:g> USING NAMED <x:n> WHERE { ?s ?p ?o }",
        ),
        ("DELETE WHERE { ?s <x:p> ?o }", "DELETE { ?s <x:p> ?o } USING <x:g> USING NAMED <x:n> WHERE { ?s <x:p> ?o }"),
        (
            "INSERT DATA { <x:a> <x:b> 'WHERE {' } ; DELETE { ?s ?p ?o } WHERE { { SELECT * WHERE { ?s ?p ?o } } }",
            "INSERT DATA { <x:a> <x:b> 'WHERE {' } ; DELETE { ?s ?p ?o } USING <x:g> USING NAMED <x:n> "
            "WHERE { { SELECT * WHERE { ?s ?p ?o } } }",
        ),
    ],
)
def test_protocol_dataset_parameters_become_using_clauses(update: str, expected: str) -> None:
    rewritten = with_using(update, [ox.NamedNode("x:g")], [ox.NamedNode("x:n")])
    assert rewritten == expected
    ox.Store().update(rewritten)  # and it parses
