"""gunicorn hooks for ``exoowl serve`` (loaded with ``--config python:exoowl_server.gunicorn_conf``)."""

from __future__ import annotations

import os
import re
from typing import Any

from gunicorn.glogging import Logger

# query parameters whose values are secrets, whatever a client puts there
SECRET_PARAMETERS = re.compile(r"(?i)([?&;](?:access_token|token|api_key|apikey|key|password|secret|auth)=)[^&;\s]*")
REDACTED = "[redacted]"


def redact(text: str, token: str | None) -> str:
    """A request line or query string without secrets: the update token wherever it appears
    (raw or percent-encoded) and the values of secret-looking parameters."""
    if token:
        for form in {token, re.sub(r"[^A-Za-z0-9_.~-]", lambda m: f"%{ord(m.group()):02X}", token)}:
            text = text.replace(form, REDACTED)
    return SECRET_PARAMETERS.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingLogger(Logger):
    """gunicorn's access log, with no secret from a URL or an Authorization header in it."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        token = os.environ.get("EXOOWL_UPDATE_TOKEN")
        for key in ("r", "q", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key], token)
        for key in list(atoms):
            if key in ("{authorization}i", "{cookie}i", "{proxy-authorization}i"):
                atoms[key] = REDACTED
        return atoms


logger_class = RedactingLogger


def child_exit(server: Any, worker: Any) -> None:
    """In the arbiter, when a worker has exited: count it as a query timeout when the arbiter
    aborted it for running past the timeout (a query blocked in pyoxigraph never lets the worker's
    own abort handler run, so it is counted here), and drop its live gauges."""
    from prometheus_client import multiprocess

    from .metrics import TIMEOUTS

    if getattr(worker, "aborted", False):
        TIMEOUTS.inc()
    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """In each worker, once its app is loaded: start its query processes before the first query."""
    from .state import warm

    warm(worker.wsgi)
