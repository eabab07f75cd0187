"""gunicorn hooks for ``exoowl serve`` (loaded with ``--config python:exoowl_server.gunicorn_conf``)."""
from __future__ import annotations

from typing import Any


def child_exit(server: Any, worker: Any) -> None:
    """In the arbiter, when a worker has exited: count it as a query timeout when the arbiter
    aborted it for running past the timeout (a query blocked in pyoxigraph never lets the worker's
    own abort handler run, so it is counted here), and drop its live gauges."""
    from prometheus_client import multiprocess

    from exoowl_server.metrics import TIMEOUTS

    if getattr(worker, "aborted", False):
        TIMEOUTS.inc()
    multiprocess.mark_process_dead(worker.pid)
