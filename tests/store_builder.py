"""Test helper: a committed store location holding given named graphs (no build pipeline)."""

from __future__ import annotations

from pathlib import Path

from exoowl.store import DATABASE, Store, StoreLocation


def commit_store(path: Path, graphs: dict[str, bytes]) -> StoreLocation:
    """A store location at ``path`` whose committed build holds ``graphs`` (graph IRI → N-Triples)."""
    location = StoreLocation(path)
    build = location.new_build()
    store = Store.open_directory(build / DATABASE)
    for iri, ntriples in graphs.items():
        store.replace_graph_ntriples(iri, ntriples)
    store.flush()
    del store
    location.commit(build, {"graphs": {iri: len(data.splitlines()) for iri, data in graphs.items()}})
    return location
