"""The store a server process reads, reopened when a build swaps in a new one."""
from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import current_app

from exoowl.store import Store


class StoreHandle:
    """Opens the committed build read-only, and again after ``exoowl build`` repoints the store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._target: str | None = None
        self._store: Store | None = None

    def get(self) -> Store:
        target = os.readlink(self.path) if self.path.is_symlink() else None
        with self._lock:
            if self._store is None or target != self._target:
                self._store = Store.open(self.path, read_only=True)
                self._target = target
            return self._store


def current_store() -> Store:
    return current_app.extensions["exoowl_store"].get()
