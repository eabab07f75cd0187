"""Query timeouts that answer. pyoxigraph cannot cancel a query, but it releases the GIL while
it evaluates one, so a watchdog thread can still run: past the timeout it writes a 503 problem
response straight to the client's socket and ends the worker process, which gunicorn replaces.
The core the query held is freed at once and the client learns what happened. Outside gunicorn
(no socket in the WSGI environ, e.g. the Flask test client) there is no watchdog.

One watchdog thread per worker process watches the request in hand (gunicorn's sync workers
answer one request at a time); arming and disarming it per request costs a lock, not a thread."""

from __future__ import annotations

import os
import socket
import threading
import time

from flask import Flask, request

from .errors import problem
from .metrics import TIMEOUTS


def _problem(seconds: float) -> bytes:
    """The whole HTTP response, written by hand: the worker cannot go back through WSGI."""
    body = problem(
        503, "Query timeout", f"the request ran past the query timeout of {seconds:g} s and was stopped"
    ).get_data()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    ).encode()
    return head + body


def _expire(client: socket.socket, seconds: float) -> None:
    """Answer 503 and end this worker: the query cannot be stopped any other way."""
    TIMEOUTS.inc()
    try:
        client.sendall(_problem(seconds))
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    os._exit(1)


class Watchdog:
    """Ends the worker when the armed request passes its deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._condition = threading.Condition()
        self._deadline: float | None = None
        self._client: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def arm(self, client: socket.socket) -> None:
        with self._condition:
            if self._thread is None or self._pid != os.getpid():  # started in each forked worker
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._watch, name="exoowl-watchdog", daemon=True)
                self._thread.start()
            self._deadline, self._client = time.monotonic() + self.seconds, client
            self._condition.notify()

    def disarm(self) -> None:
        with self._condition:
            self._deadline = self._client = None

    def _watch(self) -> None:
        with self._condition:
            while True:
                if self._deadline is None:
                    self._condition.wait()
                    continue
                remaining = self._deadline - time.monotonic()
                if remaining <= 0 and self._client is not None:
                    _expire(self._client, self.seconds)
                self._condition.wait(max(remaining, 0.01))


def register_timeout(app: Flask, seconds: float) -> None:
    watchdog = Watchdog(seconds)

    @app.before_request
    def arm() -> None:
        client = request.environ.get("gunicorn.socket")
        if client is not None:
            watchdog.arm(client)

    @app.teardown_request
    def disarm(_exc: BaseException | None) -> None:
        watchdog.disarm()
