"""Store handles are closed when they are done with: opening and closing stores and knowledge graphs
many times, queries, writes and imports included, ends with the file descriptors it started with."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from conftest import open_fds

import exoowl
from exoowl.config import Settings
from exoowl.importers import import_file
from exoowl.store import Store, StoreLocation
from exoowl.write import Writer

ROUNDS = 200
ASK = "ASK { ?s ?p ?o }"


def fd_count() -> int:
    gc.collect()
    return len(open_fds())


def test_a_store_holds_file_descriptors_until_closed(built_mini: Settings) -> None:
    start = fd_count()
    store = Store.open(built_mini.store_path)
    assert fd_count() > start  # what the loop below would leak if closing did not release them
    store.close()
    store.close()  # idempotent
    assert fd_count() == start
    with pytest.raises(AttributeError):
        store.query(ASK)


def test_opening_and_closing_200_times_leaks_nothing(built_mini: Settings) -> None:
    start = fd_count()
    for _ in range(ROUNDS):
        with Store.open(built_mini.store_path) as store:
            assert bool(store.query(ASK)) and store.count() > 0
        with exoowl.open(built_mini.store_path, root=built_mini.root) as kg:
            assert kg.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows and kg.counts()
        kg = exoowl.open(built_mini.store_path, root=built_mini.root)
        kg.close()
        kg.close()
    assert fd_count() == start


def test_writes_and_imports_leak_nothing(built_mini: Settings, tmp_path: Path) -> None:
    location = StoreLocation(built_mini.store_path)
    source = tmp_path / "cargo.txt"
    source.write_text(
        "CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n"
        + "".join(f"{i}\tprotein\t{900000000 + i}\tSYN{i}\tHomo sapiens\t1\tMass spectrometry\n" for i in range(1, 50))
    )
    start = fd_count()
    for i in range(5):
        Writer(location).update(
            f"INSERT DATA {{ GRAPH <http://example.org/lab> {{ <http://example.org/s> <http://example.org/p> {i} }} }}"
        )
        import_file(location, "exocarta", source)
    with exoowl.open(built_mini.store_path, root=built_mini.root) as kg:
        assert kg.query("ASK { GRAPH <http://example.org/lab> { ?s ?p 4 } }").boolean
    assert fd_count() == start
