"""The gunicorn worker ``exoowl serve`` runs: gunicorn's threaded worker, which also notes when it
accepted each request, so that a query's deadline counts from then (time spent queued inside the
worker counts against the query timeout)."""

from __future__ import annotations

import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

_current = threading.local()


def accepted_at() -> float | None:
    """When the worker took in the request this thread is answering (``time.monotonic()``), or
    None outside gunicorn (e.g. Flask's test client)."""
    return getattr(_current, "accepted", None)


class AcceptingWorker(ThreadWorker):
    def enqueue_req(self, conn: Any) -> None:
        conn.exoowl_accepted = time.monotonic()
        super().enqueue_req(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        _current.accepted = getattr(conn, "exoowl_accepted", None) or time.monotonic()
        try:
            return super().handle_request(req, conn)
        finally:
            _current.accepted = None
