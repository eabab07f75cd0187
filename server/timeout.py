"""Query timeouts that answer. pyoxigraph cannot cancel a query, but it releases the GIL while
it evaluates one, so a watchdog thread can still run: past the timeout it writes a 503 problem
response straight to the client's socket and ends the worker process, which gunicorn replaces.
The core the query held is freed at once and the client learns what happened. Outside gunicorn
(no socket in the WSGI environ, e.g. the Flask test client) there is no watchdog."""
from __future__ import annotations

import os
import socket
import threading

from flask import Flask, g, request

from .errors import problem
from .metrics import TIMEOUTS


def _problem(seconds: float) -> bytes:
    """The whole HTTP response, written by hand: the worker cannot go back through WSGI."""
    body = problem(503, "Query timeout",
                   f"the request ran past the query timeout of {seconds:g} s and was stopped").get_data()
    head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n").encode()
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


def register_timeout(app: Flask, seconds: float) -> None:
    @app.before_request
    def arm() -> None:
        client = request.environ.get("gunicorn.socket")
        if client is not None:
            g.exoowl_watchdog = timer = threading.Timer(seconds, _expire, args=(client, seconds))
            timer.daemon = True
            timer.start()

    @app.teardown_request
    def disarm(_exc: BaseException | None) -> None:
        timer = g.pop("exoowl_watchdog", None)
        if timer is not None:
            timer.cancel()
