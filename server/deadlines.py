"""Deadlines and who asks: a query's deadline counts from when the worker accepted the request
(``exoowl_server.worker``), so time spent queued counts against the query timeout; the client is
its address, and a client that has gone away is noticed before its query starts."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from flask import Request

from .worker import accepted_at


def deadline(seconds: float) -> float:
    """The monotonic time by which the request in hand must be answered."""
    return (accepted_at() or time.monotonic()) + seconds


def client_of(request: Request) -> str:
    return request.remote_addr or "unknown"


def still_connected(request: Request) -> Callable[[], bool]:
    """Whether the client still waits for an answer: its socket neither closed nor reset
    (outside gunicorn there is no socket to ask, and the client counts as waiting)."""
    client = request.environ.get("gunicorn.socket")

    def ask() -> bool:
        if client is None:
            return True
        try:
            peeked: bytes = client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
            return peeked != b""
        except BlockingIOError:
            return True  # nothing to read, still open
        except OSError:
            return False

    return ask
