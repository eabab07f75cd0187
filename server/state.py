"""The store a server process reads: the committed local build, reopened when a build swaps in a
new one, or a SPARQL server (``--store sparql+http://…``)."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, current_app

from exoowl.config import Settings
from exoowl.isolation import QueryPool
from exoowl.namespaces import is_import_graph
from exoowl.remote import RemoteStore
from exoowl.service import GraphStatistics, graph_statistics
from exoowl.store import Store, StoreLocation, StoreProtocol

WARM_SECONDS = 10.0  # at most this long a starting worker waits for its query processes
REMOTE_STATISTICS_SECONDS = 300.0  # a SPARQL server's data can change behind our back


class StoreHandle:
    """Opens the committed build read-only, and again after ``exoowl build`` repoints the store.

    What is computed from a build (its graph statistics) is kept until the build changes; for a
    SPARQL server, for REMOTE_STATISTICS_SECONDS."""

    def __init__(self, settings: Settings) -> None:
        self.remote = settings.remote_store
        self.path = None if self.remote else settings.store_path
        self.timeout = settings.query_timeout
        self._lock = threading.Lock()
        self._target: str | None = None
        self._store: StoreProtocol | None = None
        self._statistics: list[GraphStatistics] | None = None
        self._computed = 0.0
        self._imports: dict[str, Any] = {}  # the import records of the build the statistics were counted on
        self._known: dict[str, GraphStatistics] = {}  # statistics carried over to the next build
        self.lanes = settings.lanes
        self._pool: QueryPool | None = None

    def pool(self) -> QueryPool | None:
        """The query processes that run queries from outside (a local store only; a SPARQL
        server's queries are HTTP requests with a timeout)."""
        if self.path is None:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = QueryPool(self.path, self.lanes, self.timeout)
            return self._pool

    def get(self) -> StoreProtocol:
        if self.remote:
            with self._lock:
                if self._store is None:
                    self._store = RemoteStore.open(self.remote, timeout=self.timeout)
                return self._store
        assert self.path is not None
        target = StoreLocation(self.path).link()
        with self._lock:
            if self._store is None or target != self._target:
                self._store = Store.open(self.path, read_only=True)
                self._target = target
                self._carry_import_statistics()
            return self._store

    def close(self) -> None:
        """Stop the query processes and close the store (an app's end: see ``create_app``)."""
        with self._lock:
            pool, self._pool = self._pool, None
            store, self._store = self._store, None
        if pool is not None:
            pool.close()
        if store is not None:
            store.close()

    def _carry_import_statistics(self) -> None:
        """A new build keeps the counts of imported graphs that no import replaced since (counting
        millions of imported triples again after every write would take seconds). Writes cannot
        change an imported graph (it is read-only), so its counts hold until the next import."""
        assert self.path is not None
        imports = (StoreLocation(self.path).manifest() or {}).get("imports", {})
        self._known = {
            s.graph: s
            for s in self._statistics or []
            if is_import_graph(s.graph) and s.graph in imports and imports[s.graph] == self._imports.get(s.graph)
        }
        self._imports = imports
        self._statistics = None

    def statistics(self) -> list[GraphStatistics]:
        store = self.get()
        with self._lock:
            expired = self.remote and time.monotonic() - self._computed > REMOTE_STATISTICS_SECONDS
            if self._statistics is None or expired:
                self._statistics = graph_statistics(store, None if self.remote else self._known)
                self._computed = time.monotonic()
            return self._statistics


def warm(app: Flask) -> None:
    """Start the query processes of ``app``'s store (a local store's; a SPARQL server has none)
    and give them a little time to be ready before the worker takes requests."""
    pool = app.extensions["exoowl_store"].pool()
    if pool is not None:
        pool.warm(wait=WARM_SECONDS)


def settings() -> Settings:
    found: Settings = current_app.config["EXOOWL_SETTINGS"]
    return found


def store_handle() -> StoreHandle:
    found: StoreHandle = current_app.extensions["exoowl_store"]
    return found


def current_store() -> StoreProtocol:
    return store_handle().get()
