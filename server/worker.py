"""The gunicorn worker ``exoowl serve`` runs: gunicorn's threaded worker, which also

- notes when it took in each request, so that a query's deadline counts from then (time spent
  queued inside the worker counts against the query timeout);
- holds early retries: a client told to come back later (a 503 or 429 with ``Retry-After`` for
  its queries, see ``hold_client``) whose next connection arrives before then has that connection
  held, unread, in the worker's poller until the time it was given. Holding costs no thread and no
  CPU, so clients that ignore ``Retry-After`` cost the server what polite ones cost, however fast
  they retry. The hold is per client address (as the query lanes' per-client share is)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

HOLD_LONGEST = 60.0  # seconds: the longest a client's connections are held, whatever it was told
HELD_CLIENTS = 10_000  # the most client addresses remembered as told to wait

_current = threading.local()


def accepted_at() -> float | None:
    """When the worker took in the request this thread is answering (``time.monotonic()``), or
    None outside gunicorn (e.g. Flask's test client)."""
    return getattr(_current, "accepted", None)


def hold_client(seconds: float) -> None:
    """The client of the request this thread is answering has been told to retry after
    ``seconds``: its connections arriving before then are held until then (outside gunicorn,
    nothing happens)."""
    worker: AcceptingWorker | None = getattr(_current, "worker", None)
    address = getattr(_current, "address", None)
    if worker is not None and address is not None:
        worker.hold(address, seconds)


def _address(client: Any) -> str | None:
    """The host of a connection's peer (None for a UNIX socket's)."""
    return client[0] if isinstance(client, tuple) and client else None


class AcceptingWorker(ThreadWorker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._told: dict[str, float] = {}  # client address → monotonic time it was told to wait for
        self._told_lock = threading.Lock()
        self._held: list[tuple[float, int, Any]] = []  # (until, order, connection), a heap
        self._order = itertools.count()

    def hold(self, address: str, seconds: float) -> None:
        """Remember that ``address`` was told to wait ``seconds`` (at most ``HOLD_LONGEST``)."""
        until = time.monotonic() + min(max(seconds, 0.0), HOLD_LONGEST)
        with self._told_lock:
            previous = self._told.pop(address, 0.0)  # re-inserted: the dict's order is by last told
            self._told[address] = max(until, previous)
            if len(self._told) > HELD_CLIENTS:
                now = time.monotonic()
                for old in [a for a, t in self._told.items() if t <= now]:
                    del self._told[old]
                while len(self._told) > HELD_CLIENTS:
                    del self._told[next(iter(self._told))]

    def _told_until(self, address: str | None) -> float:
        if address is None:
            return 0.0
        with self._told_lock:
            until = self._told.get(address, 0.0)
            if until and until <= time.monotonic():
                del self._told[address]
                return 0.0
            return until

    def enqueue_req(self, conn: Any) -> None:
        until = self._told_until(_address(conn.client))
        if until > time.monotonic():
            heapq.heappush(self._held, (until, next(self._order), conn))
            return
        self._take(conn)

    def _take(self, conn: Any) -> None:
        conn.exoowl_accepted = time.monotonic()
        super().enqueue_req(conn)

    def murder_keepalived(self, force: bool = False) -> None:
        """Besides gunicorn's closing of idle kept-alive connections (on every turn of the event
        loop): take in the held connections whose time has come, or close them all when forced
        (the worker's last act)."""
        now = time.monotonic()
        while self._held and (force or self._held[0][0] <= now):
            _, _, conn = heapq.heappop(self._held)
            if force:
                self.nr_conns -= 1
                conn.close()
            else:
                self._take(conn)
        super().murder_keepalived(force)

    def handle_request(self, req: Any, conn: Any) -> Any:
        _current.accepted = getattr(conn, "exoowl_accepted", None) or time.monotonic()
        _current.worker = self
        _current.address = _address(conn.client)
        try:
            return super().handle_request(req, conn)
        finally:
            _current.accepted = _current.worker = _current.address = None
