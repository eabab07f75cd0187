"""Writes (exoowl.write) to a small committed store made without a build, gated by a shape written
here: fast enough to run once per mutant (`make mutation`). tests/test_write.py has the same
operations on a built project."""

from __future__ import annotations

import errno
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from store_builder import commit_store

from exoowl.errors import Forbidden, InputError, NotFound, UnsupportedMediaType, UsageError, ValidationFailed
from exoowl.namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, IMPORT_GRAPHS
from exoowl.store import MANIFEST, Store, StoreLocation
from exoowl.write import Writer, disk_problem, graph_sizes, parse_graph_payload, restore

EX = "http://example.org/"
IMPORTED = f"{IMPORT_GRAPHS}exocarta/cargo"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SHAPE = f"""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
ex:NamedThing a sh:NodeShape ; sh:targetClass ex:Thing ; sh:property [ sh:path ex:name ; sh:minCount 1 ] .
"""


@pytest.fixture
def location(tmp_path: Path) -> StoreLocation:
    return commit_store(
        tmp_path / "store",
        {
            f"{EX}lab": b'<http://example.org/a> <http://example.org/name> "a" .\n',
            str(GRAPH_ONTOLOGY): b'<http://example.org/Thing> <http://www.w3.org/2000/01/rdf-schema#label> "T" .\n',
            IMPORTED: b"<urn:x> <urn:p> <urn:o> .\n<urn:y> <urn:p> <urn:o> .\n",
        },
    )


@pytest.fixture
def writer(location: StoreLocation, tmp_path: Path) -> Writer:
    shapes = tmp_path / "shapes"
    shapes.mkdir()
    (shapes / "thing.ttl").write_text(SHAPE, encoding="utf-8")
    return Writer(location, lock_timeout=5, grace=0, fallback_shapes=shapes)


def ask(location: StoreLocation, sparql: str) -> bool:
    return bool(Store.open(location.path).query(sparql))


def test_an_update_commits_a_new_build_counted_in_the_manifest(writer: Writer, location: StoreLocation) -> None:
    before, started = location.current(), time.perf_counter()
    report = writer.update(f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}b> <{EX}name> 'b' }} }}")
    assert location.current() == report.build != before and 0 < report.seconds <= time.perf_counter() - started
    assert report.graphs == {f"{EX}lab": 2, str(GRAPH_ONTOLOGY): 1, IMPORTED: 2, "default": 0}
    assert ask(location, f"ASK {{ GRAPH <{EX}lab> {{ <{EX}b> <{EX}name> 'b' }} }}")
    manifest = location.manifest()
    assert manifest["writes"] == 1 and manifest["graphs"] == report.graphs and manifest["last_write"]
    assert writer.update(f"INSERT DATA {{ <{EX}c> <{EX}name> 'c' }}").graphs["default"] == 1
    assert location.manifest()["writes"] == 2
    assert report.as_dict()["status"] == "committed" and report.as_dict()["build"] == report.build.name


def test_a_write_that_breaks_a_shape_changes_nothing(writer: Writer, location: StoreLocation) -> None:
    before = location.current()
    with pytest.raises(ValidationFailed, match="1 violation"):
        writer.update(f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}t> a <{EX}Thing> }} }}")
    with pytest.raises(ValidationFailed):
        writer.put_graph(None, [ox.Triple(ox.NamedNode(f"{EX}t"), ox.NamedNode(RDF_TYPE), ox.NamedNode(f"{EX}Thing"))])
    assert location.current() == before and location.interrupted() == []
    assert writer.update(f"INSERT DATA {{ <{EX}t> a <{EX}Thing> ; <{EX}name> 't' }}").warnings == 0


@pytest.mark.parametrize("graph", [str(GRAPH_ONTOLOGY), str(GRAPH_INFERRED), IMPORTED])
def test_the_graphs_builds_and_imports_make_are_read_only(writer: Writer, location: StoreLocation, graph: str) -> None:
    before = location.current()
    triple = [ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("o"))]
    for write in (
        lambda: writer.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{EX}s> <{EX}p> 'o' }} }}"),
        lambda: writer.put_graph(graph, triple),
        lambda: writer.post_graph(graph, triple),
        lambda: writer.delete_graph(graph),
    ):
        with pytest.raises(Forbidden, match="read-only"):
            write()
    assert location.current() == before


def test_an_update_that_may_write_graphs_it_does_not_name_is_refused(writer: Writer, location: StoreLocation) -> None:
    for update in (
        "CLEAR ALL",
        "DROP NAMED",
        f"INSERT {{ GRAPH ?g {{ <{EX}s> <{EX}p> 'o' }} }} WHERE {{ GRAPH ?g {{}} }}",
    ):
        with pytest.raises(Forbidden, match="does not name"):
            writer.update(update)
    writer.update(f"CLEAR GRAPH <{EX}lab>")  # named: allowed
    assert not ask(location, f"ASK {{ GRAPH <{EX}lab> {{ ?s ?p ?o }} }}")


def test_a_store_without_read_only_graphs_takes_unnamed_writes(tmp_path: Path) -> None:
    location = commit_store(tmp_path / "store", {f"{EX}lab": b"<urn:s> <urn:p> <urn:o> .\n"})
    Writer(location, grace=0).update("CLEAR ALL")
    assert not ask(location, "ASK { GRAPH ?g { ?s ?p ?o } }")


def test_graph_store_operations_report_whether_they_created_the_graph(writer: Writer, location: StoreLocation) -> None:
    one = [ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("1"))]
    two = [ox.Triple(ox.NamedNode(f"{EX}s"), ox.NamedNode(f"{EX}p"), ox.Literal("2"))]
    assert writer.put_graph(f"{EX}new", one).created
    assert not writer.put_graph(f"{EX}new", two).created
    assert writer.post_graph(f"{EX}new", one).graphs[f"{EX}new"] == 2
    assert writer.put_graph(f"{EX}new", two).graphs[f"{EX}new"] == 1  # replaced
    assert writer.post_graph(None, one).created and not writer.post_graph(None, two).created
    assert writer.put_graph(f"{EX}empty", []).created and ask(location, f"ASK {{ GRAPH <{EX}empty> {{}} }}")
    assert writer.delete_graph(f"{EX}new").graphs.get(f"{EX}new") is None
    with pytest.raises(NotFound, match="no graph"):
        writer.delete_graph(f"{EX}new")
    assert writer.delete_graph(None).graphs["default"] == 0
    assert writer.put_graph(None, one).created


def test_an_imported_graph_keeps_the_size_its_import_recorded(location: StoreLocation) -> None:
    store = Store.open(location.path)
    assert graph_sizes(store, {IMPORTED: 7, f"{EX}lab": 9}) == {
        f"{EX}lab": 1,
        str(GRAPH_ONTOLOGY): 1,
        IMPORTED: 7,
        "default": 0,
    }
    assert graph_sizes(store, default=False)[IMPORTED] == 2 and "default" not in graph_sizes(store, default=False)


def test_a_write_takes_an_imported_graphs_size_from_the_manifest(writer: Writer, location: StoreLocation) -> None:
    """Counting millions of imported triples on every write would cost seconds: the write carries
    the size the import recorded (here one that is not the store's two triples) and counts the rest."""
    path = location.current() / MANIFEST
    manifest = json.loads(path.read_text())
    manifest["graphs"][IMPORTED] = 1_000_000
    path.write_text(json.dumps(manifest))
    report = writer.update(f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}b> <{EX}name> 'b' }} }}")
    assert (report.graphs[IMPORTED], report.graphs[f"{EX}lab"]) == (1_000_000, 2)
    assert location.manifest()["graphs"][IMPORTED] == 1_000_000


def test_graph_payloads_parse_or_are_refused() -> None:
    triples = parse_graph_payload(b"<s> <urn:p> 'o' .", "text/turtle", f"{EX}base/")
    assert triples == [ox.Triple(ox.NamedNode(f"{EX}base/s"), ox.NamedNode("urn:p"), ox.Literal("o"))]
    with pytest.raises(UnsupportedMediaType, match="no Content-Type"):
        parse_graph_payload(b"", "", None)
    with pytest.raises(UnsupportedMediaType, match="got image/png"):
        parse_graph_payload(b"", "image/png", None)
    with pytest.raises(InputError, match="does not parse"):
        parse_graph_payload(b"<urn:s> <urn:p> .", "text/turtle", None)
    with pytest.raises(InputError, match="names graphs"):
        parse_graph_payload(b"<urn:g> { <urn:s> <urn:p> <urn:o> }", "application/trig", None)
    entity = b'<?xml version="1.0"?><!DOCTYPE r [<\x00!ENTITY a "b">]><r/>'
    with pytest.raises(InputError, match="entity declarations"):
        parse_graph_payload(entity, "application/rdf+xml", None)


def test_a_full_disk_is_named_as_such() -> None:
    assert disk_problem(OSError(errno.ENOSPC, "nope")).startswith("the store's disk is full (")
    assert disk_problem(OSError("IO error: No space left on device")).startswith("the store's disk is full")
    assert disk_problem(OSError(errno.EIO, "I/O  error")) == "the store could not be written ([Errno 5] I/O error)"
    assert len(disk_problem(OSError("x" * 1000))) == len("the store could not be written ()") + 300


def test_a_restore_replaces_the_store_with_the_dump(location: StoreLocation, tmp_path: Path) -> None:
    dump = tmp_path / "dump.nq"
    dump.write_text(f'<{EX}s> <{EX}p> "o" <{EX}g> .\n<{EX}s> <{EX}p> "d" .\n', encoding="utf-8")
    report = restore(location, dump, grace=0)
    assert report.graphs == {f"{EX}g": 1, "default": 1} and location.current() == report.build
    manifest = location.manifest()
    assert (manifest["restored_from"], manifest["writes"], manifest["graphs"]) == ("dump.nq", 0, report.graphs)
    assert not ask(location, f"ASK {{ GRAPH <{EX}lab> {{ ?s ?p ?o }} }}")
    before = location.current()
    for name, text, error in [
        ("d.ttl", "", UsageError),
        ("absent.trig", None, UsageError),
        ("bad.trig", "<s", InputError),
    ]:
        path = tmp_path / name
        if text is not None:
            path.write_text(text, encoding="utf-8")
        with pytest.raises(error):
            restore(location, path, grace=0)
    assert location.current() == before
