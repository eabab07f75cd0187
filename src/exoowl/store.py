"""The store: pyoxigraph on disk, one named graph per source; queries see their union.

Layout on disk (``PATH`` is the configured store location)::

    PATH              symlink to the committed build, swapped atomically
    PATH.d/<build>/   one build: ``oxigraph/`` (the database) and ``build.json`` (its manifest)

A build writes a new ``PATH.d/<build>/`` and repoints ``PATH`` only when validation and
reasoning passed, so a failed or interrupted build leaves the served store untouched.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol, Self, runtime_checkable

import pyoxigraph as ox
from rdflib import Graph

from .errors import QuerySyntaxError, StoreBusy, StoreError, UnsupportedFunction, UsageError
from .sparql_functions import engine_query, unsupported_function
from .sparql_safety import analyse, refuse_crashing

MANIFEST = "build.json"
DATABASE = "oxigraph"
SHAPES = "shapes.ttl"  # the SHACL shapes a build was validated with; writes are gated by them

EXPORT_FORMATS: dict[str, ox.RdfFormat] = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
}
DATASET_FORMATS = {"nquads", "trig"}


@dataclass(frozen=True)
class StoreLocation:
    """Where a store lives and how builds are staged and swapped in."""

    path: Path

    @property
    def builds_dir(self) -> Path:
        return self.path.with_name(self.path.name + ".d")

    def current(self) -> Path | None:
        """The committed build directory, or None when nothing was built yet."""
        if self.path.is_symlink():
            target = self.path.resolve()
            return target if (target / MANIFEST).exists() else None
        if self.path.exists():
            raise StoreError(f"{self.path} exists but is not an exoowl store (expected a symlink to a build)")
        return None

    def link(self) -> str | None:
        """Where the store's link points now, cheaply (no manifest read): a reader holding a build
        open reopens when this changes, because a build or a write swapped in another build."""
        return os.readlink(self.path) if self.path.is_symlink() else None

    def manifest(self) -> dict[str, Any] | None:
        build = self.current()
        return json.loads((build / MANIFEST).read_text()) if build else None

    def new_build(self) -> Path:
        """A fresh, empty build directory."""
        self.builds_dir.mkdir(parents=True, exist_ok=True)
        build = self.builds_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        build.mkdir()
        return build

    def interrupted(self) -> list[Path]:
        """Build directories with no manifest: left by a build that failed or was killed."""
        if not self.builds_dir.exists():
            return []
        return sorted(p for p in self.builds_dir.iterdir() if p.is_dir() and not (p / MANIFEST).exists())

    def orphaned_scratch(self) -> list[Path]:
        """Import scratch files (``.import-PID-….nq``) whose process is gone: left by a killed import."""
        if not self.builds_dir.exists():
            return []
        return sorted(p for p in self.builds_dir.glob(".import-*.nq") if not _alive(p.name.split("-")[1]))

    def status(self) -> dict[str, Any]:
        """What an operator asks first: the committed build, its manifest, and what was interrupted."""
        current = self.current()
        return {
            "store": str(self.path),
            "build": current.name if current else None,
            "manifest": self.manifest(),
            "interrupted": [p.name for p in self.interrupted()],
            "orphaned_scratch": [p.name for p in self.orphaned_scratch()],
            "unfinished": self.unfinished(),
        }

    def commit(self, build: Path, manifest: dict[str, Any]) -> None:
        """Write the manifest, then atomically point the store at the build."""
        tmp_manifest = build / (MANIFEST + ".tmp")
        tmp_manifest.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        tmp_manifest.replace(build / MANIFEST)
        link = self.path.with_name(f".{self.path.name}.{os.getpid()}.link")
        if link.is_symlink():
            link.unlink()
        link.symlink_to(os.path.relpath(build, self.path.parent))
        link.replace(self.path)

    @property
    def lock_file(self) -> Path:
        return self.path.with_name(f".{self.path.name}.lock")

    @contextmanager
    def lock(self, timeout: float, operation: str = "write") -> Iterator[dict[str, Any] | None]:
        """One writer at a time, across processes: builds and endpoint writes hold this lock.

        Waits up to ``timeout`` seconds, then raises StoreBusy. The lock is an ``flock`` on a file
        beside the store, released by the kernel if the holder dies. The holder writes what it is
        (``operation``, pid, start) into the file and empties it when done, so a holder killed
        mid-way leaves its record (:meth:`unfinished`); the context gives that record, or None."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + timeout
        with open(self.lock_file, "a+") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise StoreBusy(
                            f"another build or write holds {self.path} for more than {timeout:g} s; try again later"
                        ) from None
                    time.sleep(0.02)
            previous = _holder(handle)
            _record_holder(handle, {"operation": operation, "pid": os.getpid(), "started": _now()})
            try:
                yield previous
            finally:
                _record_holder(handle, None)
                fcntl.flock(handle, fcntl.LOCK_UN)

    def unfinished(self) -> dict[str, Any] | None:
        """The record of a build, write, import or restore that held the write lock and died
        without finishing (killed), or None; a holder still running is not reported."""
        if not self.lock_file.exists():
            return None
        with open(self.lock_file) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # held: the writer is running
            try:
                return _holder(handle)
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def prune(self, keep: int = 2, protect: Iterable[Path] = (), grace: float = 0.0) -> list[Path]:
        """Remove old complete builds beyond the newest ``keep`` and incomplete ones.

        Call it holding :meth:`lock` (an incomplete build may be a running writer's otherwise).
        A build superseded less than ``grace`` seconds ago stays: a server worker may still be
        answering a query from it."""
        if not self.builds_dir.exists():
            return []
        current, protected = self.current(), {p.resolve() for p in protect}
        complete = sorted(
            (p for p in self.builds_dir.iterdir() if (p / MANIFEST).exists()),
            key=lambda p: (p / MANIFEST).stat().st_mtime,
            reverse=True,
        )
        now = time.time()
        doomed = [
            old
            for newer, old in itertools.pairwise(complete)
            if old in complete[keep:] and old != current and now - (newer / MANIFEST).stat().st_mtime > grace
        ]
        doomed += [p for p in self.interrupted() if p.resolve() not in protected]
        for scratch in self.orphaned_scratch():
            scratch.unlink(missing_ok=True)
        for p in doomed:
            shutil.rmtree(p, ignore_errors=True)
        return doomed


class Closing:
    """``with`` closes it: for the handles of a store (``close()`` must be safe to call twice)."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@runtime_checkable
class StoreProtocol(Protocol):
    """The one store type: what the embedded :class:`Store` and a SPARQL server
    (:class:`exoowl.remote.RemoteStore`) both offer, and all that the query path, the importers'
    lookups, the API and the server's pages need of either. mypy checks that both implement it
    (``_IMPLEMENTED`` below and in ``remote``); writes are the embedded store's own (``write``)."""

    def graphs(self) -> list[str]: ...

    def has_graph(self, graph_iri: str) -> bool: ...

    def count(self, graph_iri: str | None = None) -> int: ...

    def triples(self, graph_iri: str | None) -> list[ox.Triple]: ...

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> Any: ...

    def export(self, output: IO[bytes] | Path, fmt: str, graph_iri: str | None = None) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *_exc: object) -> None: ...


class Store(Closing):
    """A pyoxigraph store; the default graph of every query is the union of the named graphs."""

    def __init__(self, db: ox.Store, directory: Path | None = None) -> None:
        self.db = db
        self.directory = directory

    @classmethod
    def open(cls, path: Path, read_only: bool = True) -> Store:
        """Open the committed build at a store location."""
        build = StoreLocation(path).current()
        if build is None:
            raise StoreError(f"no store at {path}: run `exoowl build` first")
        return cls.open_directory(build / DATABASE, read_only=read_only)

    @classmethod
    def open_directory(cls, directory: Path, read_only: bool = False) -> Store:
        try:
            db = ox.Store.read_only(str(directory)) if read_only else ox.Store(str(directory))
        except OSError as exc:
            raise StoreError(f"cannot open the store at {directory}: {exc}") from exc
        return cls(db, directory)

    @classmethod
    def in_memory(cls) -> Store:
        return cls(ox.Store())

    # writing ----------------------------------------------------------------
    def replace_graph(self, graph_iri: str, graph: Graph) -> int:
        """Replace a named graph with the triples of an rdflib graph; returns the triple count."""
        data = graph.serialize(format="nt", encoding="utf-8")
        return self.replace_graph_ntriples(graph_iri, data)

    def replace_graph_ntriples(self, graph_iri: str, data: bytes) -> int:
        name = ox.NamedNode(graph_iri)
        self.db.remove_graph(name) if self.db.contains_named_graph(name) else None
        self.db.load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
        self.db.add_graph(name)
        return self.count(graph_iri)

    # reading ----------------------------------------------------------------
    def graphs(self) -> list[str]:
        return sorted(g.value for g in self.db.named_graphs() if isinstance(g, ox.NamedNode))

    def triples(self, graph_iri: str | None) -> list[ox.Triple]:
        """The triples of a named graph, or of the store's own default graph for None."""
        name = ox.DefaultGraph() if graph_iri is None else ox.NamedNode(graph_iri)
        return [q.triple for q in self.db.quads_for_pattern(None, None, None, name)]

    def has_graph(self, graph_iri: str) -> bool:
        return self.db.contains_named_graph(ox.NamedNode(graph_iri))

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is None:
            return len(self.db)
        return sum(1 for _ in self.db.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))

    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> Any:
        """Run a SPARQL query over a dataset.

        ``default_graphs`` / ``named_graphs`` set the dataset and win over the query's own FROM /
        FROM NAMED (as the SPARQL 1.1 Protocol's ``default-graph-uri`` / ``named-graph-uri`` do).
        Neither given: the default graph is the union of all named graphs, unless the query
        declares its dataset with FROM / FROM NAMED. ``base_iri`` resolves relative IRIs."""
        refuse_crashing(sparql)
        try:
            return engine_query(self.db, sparql, base_iri, **_dataset_options(sparql, default_graphs, named_graphs))
        except SyntaxError as exc:
            raise QuerySyntaxError(f"malformed SPARQL: {exc}") from exc
        except RuntimeError as exc:
            if (function := unsupported_function(exc)) is None:
                raise
            raise UnsupportedFunction(
                f"the query calls <{function}>, a function neither SPARQL 1.1 nor this endpoint defines "
                "(besides SPARQL's own, it answers the XSD casts to the integer types, such as xsd:int)"
            ) from None

    def export(self, output: IO[bytes] | Path, fmt: str, graph_iri: str | None = None) -> None:
        """Write the store (N-Quads, TriG) or one graph (Turtle, N-Triples)."""
        if fmt not in EXPORT_FORMATS:
            raise UsageError(f"unknown export format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")
        if fmt not in DATASET_FORMATS and graph_iri is None:
            raise UsageError(f"{fmt} holds one graph: name it with --graph (or export nquads/trig)")
        target = str(output) if isinstance(output, Path) else output
        options: dict[str, Any] = {"format": EXPORT_FORMATS[fmt]}
        if graph_iri is not None:
            options["from_graph"] = ox.NamedNode(graph_iri)
        try:
            self.db.dump(target, **options)
        except OSError as exc:
            raise UsageError(
                f"cannot write the export to {output if isinstance(output, Path) else 'the output'}: {exc}"
            ) from None

    def flush(self) -> None:
        self.db.flush()

    def close(self) -> None:
        """Release the database now (RocksDB closes when the last reference goes), even while a
        traceback still holds this object; it cannot be used afterwards. Closing twice is harmless."""
        self.__dict__.pop("db", None)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def _holder(handle: IO[str]) -> dict[str, Any] | None:
    """The holder record in a lock file (None when empty or unreadable)."""
    handle.seek(0)
    try:
        record = json.loads(handle.read() or "null")
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def _record_holder(handle: IO[str], record: dict[str, Any] | None) -> None:
    """Write (or, for None, clear) the holder record; best effort: a full disk must not stop a write."""
    try:  # unbuffered: nothing is left to fail when the file is closed
        os.ftruncate(handle.fileno(), 0)
        if record is not None:
            os.write(handle.fileno(), json.dumps(record).encode())
    except OSError:
        pass


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _dataset_options(sparql: str, default_graphs: list[str] | None, named_graphs: list[str] | None) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if default_graphs is not None:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    if named_graphs is not None:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    if not options and not analyse(sparql).declares_dataset:
        options["use_default_graph_as_union"] = True
    return options


_IMPLEMENTED: type[StoreProtocol] = Store  # mypy: the embedded store is a StoreProtocol
