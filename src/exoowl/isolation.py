"""Queries in processes that can be stopped, and a scheduler that keeps the server answering.

pyoxigraph cannot cancel a query. So a query from outside runs in a query process, a child of
the server worker that holds the store open read-only; past its deadline the process is killed
(and replaced in the background) and the request is answered 503. The worker itself, its other
threads and the requests they serve (``/health``, pages) are untouched.

Each worker process has two lanes of query processes:

- the **fast lane** (``fast_processes``, with one started spare): every query of a client not
  known to be slow starts here with a budget of CPU time (wall-clock time where /proc cannot tell),
  held at most ``FAST_STRETCH`` times that long when the machine is busy: ``fast_seconds`` for a
  client remembered as fast (its queries finished here), which is also served first, and a fifth
  of it (``NEWCOMER_SHARE``) for a newcomer. One that finishes within it is answered and its client
  remembered as fast; one that does not is stopped, its client remembered as slow (for
  ``CLIENT_MEMORY`` seconds), and the query goes on in the slow lane with what is left of its
  deadline; one held past the stretched time without using its CPU budget (a busy machine, a
  remote SERVICE) goes on there too, but its client is not marked. So a flood of new slow
  clients costs the fast lane a twentieth of a CPU second each, once a minute, and a client
  whose queries are cheap is served first.
- the **slow lane** (``slow_processes``, run at a lower CPU priority): known-slow clients' queries
  and those demoted from the fast lane. At most ``queue`` queries wait for it; a client may have
  at most ``client_queries`` there (running or waiting). Beyond either: 503 / 429 at once, with
  ``Retry-After`` (the soonest a slow-lane process is due to be free).

Deadlines count from when the server accepted the request: time spent waiting counts, a query
whose deadline passes while it waits is never run, and one whose client has gone is dropped."""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any

from .errors import ExoowlError, Overloaded, QueryTimeout, StoreError, TooManyQueries

CLIENT_MEMORY = 60.0  # seconds a client is remembered as slow (its query outran the fast lane) or fast
KNOWN_CLIENTS = 10_000  # the most clients remembered (the oldest are forgotten first)
NEWCOMER_SHARE = 0.2  # the part of the fast lane's budget a client not yet known to be fast has
# a fast-lane query slowed by a busy machine keeps the lane until its CPU budget is used, or this × the budget
FAST_STRETCH = 8
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
READY_SECONDS = 60.0  # the longest a new query process may take to open the store
SLOW_NICENESS = 10  # how much lower the slow lane's CPU priority is
RESULT_KINDS = ("solutions", "graph")  # SELECT/ASK results; CONSTRUCT/DESCRIBE triples


@dataclass(frozen=True)
class QueryJob:
    """A checked query and how to write its answer: ``formats`` maps a result kind to the chosen
    format's name (a kind missing there has no acceptable format)."""

    sparql: str
    formats: dict[str, str]
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    base_iri: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class QueryAnswer:
    """The written answer, or ``body`` None when no format was acceptable for its ``kind``."""

    kind: str
    body: bytes | None


@dataclass(frozen=True)
class Lanes:
    """Per worker process: query processes in each lane, the slow lane's queue and per-client
    share, and the fast lane's budget."""

    fast_processes: int = 1
    slow_processes: int = 1
    queue: int = 8
    client_queries: int = 2
    fast_seconds: float = 0.25


# --- the query process -------------------------------------------------------------------------


def _serve(conn: multiprocessing.connection.Connection, store_path: str, niceness: int) -> None:
    """A query process: open the committed store, answer jobs until the worker goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server; its query processes follow
    if niceness:
        os.nice(niceness)
    from .store import Store, StoreLocation  # imported here: a query process needs only the store and the writers

    opened: dict[str | None, Store] = {}

    def store() -> Store:
        target = StoreLocation(Path(store_path)).link()
        if target not in opened:  # a build or a write swapped in another build: read that one
            for old in opened.values():
                old.close()
            opened.clear()
            opened[target] = Store.open(Path(store_path), read_only=True)
        return opened[target]

    with contextlib.suppress(ExoowlError):  # a store that cannot open is reported to the first job
        store()
    conn.send(("ready", None))  # only now does the worker count this process as idle
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the worker closed its end or ended
        try:
            reply: tuple[str, Any] = ("ok", _answer(store(), job))
        except ExoowlError as exc:
            reply = ("error", (type(exc), exc.message, dict(vars(exc))))
        except Exception as exc:  # a bug: its traceback to the server's log, its name to the worker
            traceback.print_exc()
            reply = ("crash", type(exc).__name__)
        conn.send(reply)


def _answer(store: Any, job: QueryJob) -> QueryAnswer:
    import pyoxigraph as ox

    from .query import serialize

    raw = store.query(
        job.sparql, default_graphs=job.default_graphs, named_graphs=job.named_graphs, base_iri=job.base_iri
    )
    kind = "graph" if isinstance(raw, ox.QueryTriples) else "solutions"
    chosen = job.formats.get(kind)
    return QueryAnswer(kind, None if chosen is None else serialize(raw, chosen, limit=job.limit))


def _rebuild(carried: tuple[type[ExoowlError], str, dict[str, Any]]) -> ExoowlError:
    """The query process's typed error, as it was raised there."""
    cls, message, attributes = carried
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(attributes)
    return error


class QueryProcessFailed(RuntimeError):
    """An unexpected error inside a query process (a bug, answered as a 500)."""


class _Expired(Exception):
    """The query process did not answer within its budget; ``costly`` when it used the budget
    (rather than waiting past its stretched time on a busy machine or a remote service)."""

    def __init__(self, costly: bool = True) -> None:
        super().__init__()
        self.costly = costly


class QueryProcess:
    """One query process and the worker's end of its pipe."""

    def __init__(self, context: ForkServerContext, store_path: str, niceness: int) -> None:
        self._conn, child = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child, store_path, niceness), daemon=True, name="exoowl-query"
        )
        self.process.start()
        child.close()

    def run(self, job: QueryJob, seconds: float, cpu_until: float | None = None) -> QueryAnswer:
        """The answer within ``seconds``. With ``cpu_until`` (monotonic), ``seconds`` is a budget of
        the process's CPU time instead, waited for until then at most: a query slowed down by a
        busy machine is not taken for an expensive one."""
        try:
            self._conn.send(job)
            started_cpu = self.cpu_seconds() if cpu_until is not None else 0.0
            until = time.monotonic() + seconds
            while not self._conn.poll(max(until - time.monotonic(), 0.0)):
                used = self.cpu_seconds() - started_cpu
                if cpu_until is None or used >= seconds:
                    raise _Expired(costly=True)
                if time.monotonic() >= cpu_until:
                    raise _Expired(costly=False)  # held too long, but by a busy machine or a wait
                until = min(time.monotonic() + seconds - used, cpu_until)
            status, value = self._conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.process.join(0.5)
            raise StoreError(f"the query process ended while answering (exit code {self.process.exitcode})") from None
        if status == "error":
            raise _rebuild(value)
        if status == "crash":
            raise QueryProcessFailed(f"the query process failed ({value}); its traceback is in the server's log")
        assert isinstance(value, QueryAnswer)
        return value

    def ready(self, seconds: float) -> bool:
        """Wait for the process to have opened the store (its first message); whether it did."""
        try:
            return bool(self._conn.poll(seconds)) and self._conn.recv()[0] == "ready"
        except (EOFError, OSError):
            return False

    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def cpu_seconds(self) -> float:
        """CPU time the process has used (all its threads), from /proc; infinite where there is
        no /proc to read, so that a CPU budget falls back to wall-clock time."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return math.inf
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        self.process.kill()
        self.process.join(2)
        self._conn.close()


# --- the lanes -------------------------------------------------------------------------------


class _Lane:
    """Idle query processes of one lane, replaced in the background when one is stopped. At most
    ``size`` run at once; ``spares`` more wait started, so that a stopped process's place is taken
    at once rather than after its replacement has started."""

    def __init__(self, make: Callable[[], QueryProcess], size: int, spares: int = 0) -> None:
        self._make = make
        self._idle: list[QueryProcess] = []
        self._cond = threading.Condition()
        self.size, self.spares = size, spares
        self._busy = 0
        self.busy_until: dict[int, float] = {}  # id(process) → its deadline, for Retry-After
        self._started = self._closed = False
        self._first_waiting = 0

    def start(self) -> None:
        """The lane's processes, started on first use (an app that never queries starts none)."""
        with self._cond:  # re-entrant: take() holds it
            if not self._started and not self._closed:
                self._started = True
                for _ in range(self.size + self.spares):
                    self._replace()

    def take(self, until: float, first: bool = False) -> QueryProcess | None:
        """An idle process, waiting for one at most until ``until`` (monotonic). Waiters with
        ``first`` set are served before the others."""
        with self._cond:
            self.start()
            self._first_waiting += first
            try:
                # the others leave the spares to those served first: a newcomer's trial that overruns
                # costs its process, and newcomers must not use up the lane before its replacement starts
                while (
                    len(self._idle) <= (0 if first else self.spares)
                    or self._busy >= self.size
                    or (self._first_waiting and not first)
                ):
                    remaining = until - time.monotonic()
                    if remaining <= 0:
                        return None
                    self._cond.wait(remaining)
                self._busy += 1
                return self._idle.pop()
            finally:
                self._first_waiting -= first
                self._cond.notify_all()  # the others may go now

    def give_back(self, process: QueryProcess) -> None:
        with self._cond:
            self.busy_until.pop(id(process), None)
            self._busy -= 1
            if process.alive() and not self._closed:
                self._idle.append(process)
            elif not self._closed:
                self._replace()
            self._cond.notify_all()
        if self._closed:
            process.stop()

    def discard(self, process: QueryProcess) -> None:
        """Stop a process that overran (or died) and start its replacement."""
        with self._cond:
            self.busy_until.pop(id(process), None)
            self._busy -= 1
            self._cond.notify_all()
        threading.Thread(target=self._stop_and_replace, args=(process,), daemon=True).start()

    def _stop_and_replace(self, process: QueryProcess) -> None:
        process.stop()
        if not self._closed:
            self._replace()

    def _replace(self) -> None:
        def start() -> None:
            try:
                process = self._make()
            except OSError:
                return  # out of processes or memory; the lane runs short until the next replacement
            if not process.ready(READY_SECONDS):
                process.stop()
                return
            with self._cond:
                if not self._closed:
                    self._idle.append(process)
                    self._cond.notify_all()
                    return
            process.stop()  # the pool was closed while it started

        threading.Thread(target=start, daemon=True, name="exoowl-query-start").start()

    def full(self, until: float) -> bool:
        """Wait until every process of the lane is idle (or ``until``); whether they are."""
        with self._cond:
            while len(self._idle) < self.size + self.spares:
                remaining = until - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def soonest_free(self) -> float:
        with self._cond:
            return min(self.busy_until.values(), default=time.monotonic())

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
        for process in idle:
            process.stop()


class QueryPool:
    """The fast and the slow lane of one worker process (see the module's text)."""

    def __init__(self, store_path: Path, lanes: Lanes, timeout: float) -> None:
        self.lanes, self.timeout = lanes, timeout
        # a forkserver, not fork: the worker has threads (and the store open); the forkserver has
        # only pyoxigraph and the store code loaded, so a query process starts in ~50 ms
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["exoowl.store", "exoowl.query", "pyoxigraph"])
        path = str(store_path)
        self._fast = _Lane(
            lambda: QueryProcess(ctx, path, 0), lanes.fast_processes, spares=int(lanes.fast_processes > 0)
        )
        self._slow = _Lane(lambda: QueryProcess(ctx, path, SLOW_NICENESS), max(lanes.slow_processes, 1))
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, tuple[str, float]] = OrderedDict()  # client → (speed, until when)
        self._in_slow: dict[str, int] = {}  # client → its queries running or waiting in the slow lane
        self._waiting = 0

    def run(
        self, job: QueryJob, *, client: str, deadline: float, still_wanted: Callable[[], bool] = lambda: True
    ) -> QueryAnswer:
        """Answer ``job`` before ``deadline`` (monotonic) or raise Overloaded / TooManyQueries /
        QueryTimeout; ``still_wanted`` tells whether the client still waits for the answer."""
        known = self._known(client)
        if self.lanes.fast_processes and known != "slow":
            answer = self._try_fast(job, client, deadline, known == "fast")
            if answer is not None:
                return answer
        return self._run_slow(job, client, deadline, still_wanted)

    def _try_fast(self, job: QueryJob, client: str, deadline: float, known_fast: bool) -> QueryAnswer | None:
        # a client whose queries were quick has the whole budget and waits its turn, before
        # newcomers; a newcomer has a fifth of it, and waits for the fast lane about that long
        budget = self.lanes.fast_seconds * (1.0 if known_fast else NEWCOMER_SHARE)
        longest = self.lanes.fast_seconds * FAST_STRETCH  # the longest anyone holds the fast lane
        wait = longest if known_fast else budget * FAST_STRETCH
        process = self._fast.take(min(time.monotonic() + wait, deadline), first=known_fast)
        if process is None:
            return None  # the fast lane stayed busy: queue in the slow lane
        held_until = min(time.monotonic() + budget * FAST_STRETCH, deadline)
        self._fast.busy_until[id(process)] = held_until
        try:
            answer = process.run(job, min(budget, deadline - time.monotonic()), cpu_until=held_until)
        except _Expired as expired:
            self._fast.discard(process)
            if expired.costly:
                self._remember(client, "slow")
            if time.monotonic() >= deadline:
                raise self._timeout() from None
            return None
        except StoreError:
            self._fast.discard(process)
            raise
        self._fast.give_back(process)
        self._remember(client, "fast")
        return answer

    def _run_slow(self, job: QueryJob, client: str, deadline: float, still_wanted: Callable[[], bool]) -> QueryAnswer:
        self._enter_slow(client)
        try:
            process = self._slow.take(deadline)
        finally:
            with self._lock:
                self._waiting -= 1
        try:
            if process is None:
                raise Overloaded(
                    "the query waited for a free query process until its deadline and was not run; "
                    "the server is busy with other queries",
                    self._retry_after(),
                )
            if not still_wanted():
                self._slow.give_back(process)
                raise Overloaded("the client went away before its query started", 1)
            self._slow.busy_until[id(process)] = deadline
            try:
                answer = process.run(job, deadline - time.monotonic())
            except _Expired:
                self._slow.discard(process)
                raise self._timeout() from None
            except StoreError:
                self._slow.discard(process)
                raise
            self._slow.give_back(process)
            return answer
        finally:
            with self._lock:
                self._in_slow[client] -= 1
                if not self._in_slow[client]:
                    del self._in_slow[client]

    def _enter_slow(self, client: str) -> None:
        with self._lock:
            if self._in_slow.get(client, 0) >= self.lanes.client_queries:
                raise TooManyQueries(
                    f"this client already has {self.lanes.client_queries} slow queries running or "
                    "waiting; wait for their answers",
                    self._retry_after(),
                )
            if self._waiting >= self.lanes.queue:
                raise Overloaded(
                    f"{self._waiting} queries are waiting for a free query process already; try again later",
                    self._retry_after(),
                )
            self._waiting += 1
            self._in_slow[client] = self._in_slow.get(client, 0) + 1

    def _known(self, client: str) -> str | None:
        """ "slow" or "fast": how the client's last query went in the fast lane, if recently."""
        with self._lock:
            known = self._clients.get(client)
            if known is not None and known[1] < time.monotonic():
                del self._clients[client]
                known = None
            return None if known is None else known[0]

    def _remember(self, client: str, speed: str) -> None:
        with self._lock:
            self._clients[client] = (speed, time.monotonic() + CLIENT_MEMORY)
            self._clients.move_to_end(client)
            while len(self._clients) > KNOWN_CLIENTS:
                self._clients.popitem(last=False)

    def _retry_after(self) -> int:
        return max(1, math.ceil(self._slow.soonest_free() - time.monotonic()))

    def _timeout(self) -> QueryTimeout:
        return QueryTimeout(
            f"the query ran past the query timeout of {self.timeout:g} s and was stopped "
            "(setting EXOOWL_QUERY_TIMEOUT)",
            self._retry_after(),
        )

    def warm(self, wait: float = 0.0) -> bool:
        """Start the query processes now rather than at the first query (a server worker's start),
        and wait up to ``wait`` seconds for all of them; whether they are all ready."""
        self._fast.start()
        self._slow.start()
        until = time.monotonic() + wait
        return self._fast.full(until) and self._slow.full(until)

    def close(self) -> None:
        self._fast.close()
        self._slow.close()
