"""The store a server process reads, reopened when a build swaps in a new one."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import current_app

from exoowl.config import Settings
from exoowl.service import GraphStatistics, graph_statistics
from exoowl.store import Store


class StoreHandle:
    """Opens the committed build read-only, and again after ``exoowl build`` repoints the store.

    What is computed from a build (its graph statistics) is kept until the build changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._target: str | None = None
        self._store: Store | None = None
        self._statistics: list[GraphStatistics] | None = None

    def get(self) -> Store:
        target = os.readlink(self.path) if self.path.is_symlink() else None
        with self._lock:
            if self._store is None or target != self._target:
                self._store = Store.open(self.path, read_only=True)
                self._target = target
                self._statistics = None
            return self._store

    def statistics(self) -> list[GraphStatistics]:
        store = self.get()
        with self._lock:
            if self._statistics is None:
                self._statistics = graph_statistics(store)
            return self._statistics


def settings() -> Settings:
    return current_app.config["EXOOWL_SETTINGS"]


def store_handle() -> StoreHandle:
    return current_app.extensions["exoowl_store"]


def current_store() -> Store:
    return store_handle().get()
