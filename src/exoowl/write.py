"""Writes to a committed store: SPARQL Update and the Graph Store operations, each atomic and
SHACL-gated.

A write never touches the served build. Holding the store's write lock, it checkpoints the
committed build into a new build directory (RocksDB hard links: milliseconds), applies the change
there in one transaction, validates the result with the shapes the store was built with
(``shapes.ttl`` of the build) and only then commits, i.e. repoints the store link as a build does.
A rejected, failed or killed write leaves a directory without a manifest that the next writer
removes; readers never see it.

The default graph of a write is the store's own default graph (as in Fuseki and Oxigraph): triples
written without a graph name go there, and an update's WHERE reads it unless USING / WITH or the
protocol's ``using-graph-uri`` names other graphs. Queries read the union of all graphs.
"""

from __future__ import annotations

import errno
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from .config import Settings
from .errors import (
    Forbidden,
    InputError,
    NotFound,
    QuerySyntaxError,
    StoreError,
    UnsupportedMediaType,
    UpdateFailed,
    UsageError,
    ValidationFailed,
)
from .focus import (
    Changes,
    apply_update,
    focus_nodes,
    neighbourhood,
    record_graph,
    target_objects_of,
    unsupported_shapes,
)
from .namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, is_import_graph
from .rdfio import parse_file, to_rdflib
from .sparql_functions import engine_update
from .sparql_safety import Policy, refuse_crashing, update_targets
from .store import DATABASE, SHAPES, Store, StoreLocation
from .validate import Report, load_shapes, validate_graph

# Graphs the gate does not validate as data: the ontology is the gate's vocabulary, the inferred
# graph is derived at build time, and imported graphs are checked row by row when imported (a
# whole-store SHACL run over millions of imported triples would take minutes per write).
NOT_DATA = (str(GRAPH_ONTOLOGY), str(GRAPH_INFERRED))


def is_gated(graph: str) -> bool:
    return graph not in NOT_DATA and not is_import_graph(graph)


def is_read_only(graph: str | None) -> bool:
    """Graphs that builds and imports make (ontology, inferred, imported): the gate does not
    validate them, so no write may change them; `exoowl build` and `exoowl import` do."""
    return graph is not None and not is_gated(graph)


def refuse_read_only(graphs: list[str | None], unnamed: bool = False, held: list[str] | None = None) -> None:
    """Forbidden when a write would change a read-only graph, or graphs it does not name while the
    store (``held``: its graphs) has read-only ones."""
    if unnamed and any(is_read_only(g) for g in held or []):
        raise Forbidden(
            "the update may write graphs it does not name (GRAPH ?g in a template, CLEAR / DROP ALL "
            "or NAMED): name them; the ontology, inferred and imported graphs are read-only"
        )
    touched = sorted(g for g in graphs if g is not None and is_read_only(g))
    if touched:
        raise Forbidden(
            f"{', '.join(touched)} is read-only: the ontology and inferred graphs are made by "
            "`exoowl build` and imported graphs by `exoowl import`; write your own graphs"
        )


GraphName = ox.NamedNode | ox.DefaultGraph


@dataclass
class WriteReport:
    """What a committed write did: the new build, the graphs' sizes after it, what it took."""

    build: Path
    graphs: dict[str, int] = field(default_factory=dict)
    created: bool = False
    warnings: int = 0
    seconds: float = 0.0
    validated: str = ""  # what the gate validated: the nodes the write touched, or the whole data graph

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "committed",
            "build": self.build.name,
            "graphs": self.graphs,
            "created": self.created,
            "shacl_warnings": self.warnings,
            "validated": self.validated,
            "seconds": round(self.seconds, 3),
        }


def graph_name(iri: str | None) -> GraphName:
    """The store's default graph for None, else the named graph."""
    return ox.DefaultGraph() if iri is None else ox.NamedNode(iri)


def parse_graph_payload(data: bytes, media_type: str, base_iri: str | None) -> list[ox.Triple]:
    """The triples of a Graph Store request body; InputError with line and column when it does not parse."""
    fmt = ox.RdfFormat.from_media_type(media_type) if media_type else None
    if fmt is None:
        raise UnsupportedMediaType(
            f"send a graph as Turtle, N-Triples, RDF/XML, N3 or JSON-LD; got {media_type or 'no Content-Type'}"
        )
    if fmt == ox.RdfFormat.RDF_XML and b"<!ENTITY" in data.replace(b"\x00", b""):
        raise InputError(
            "RDF/XML with entity declarations (<!ENTITY …>) is not read: expanding them can take "
            "minutes and gigabytes (the 'billion laughs'); send the triples without a DTD"
        )
    try:
        quads = list(ox.parse(data, format=fmt, base_iri=base_iri))
    except SyntaxError as exc:
        raise InputError(f"the {fmt.name} body does not parse: {exc}") from exc
    if any(not isinstance(q.graph_name, ox.DefaultGraph) for q in quads):
        raise InputError(f"the {fmt.name} body names graphs: a Graph Store request carries one graph's triples")
    return [q.triple for q in quads]


class Writer:
    """Applies writes to the store at ``location``, one at a time across processes."""

    @classmethod
    def from_settings(cls, settings: Settings, lock_timeout: float) -> Writer:
        """The writer of the configured store: superseded builds stay twice the query timeout (for
        the queries still reading them); a store built before builds kept shapes uses the project's."""
        return cls(
            StoreLocation(settings.store_path),
            lock_timeout=lock_timeout,
            grace=settings.query_timeout * 2,
            fallback_shapes=settings.shapes_dir,
            policy=settings.safety,
        )

    def __init__(
        self,
        location: StoreLocation,
        lock_timeout: float = 30.0,
        grace: float = 60.0,
        fallback_shapes: Path | None = None,
        policy: Policy | None = None,
        focused: bool = True,
    ) -> None:
        self.location = location
        self.policy = policy or Policy()  # what an update must pass before it runs (the allow-list, the limits)
        self.fallback_shapes = fallback_shapes  # for stores built before builds kept their shapes
        self.lock_timeout = lock_timeout
        self.grace = grace  # superseded builds stay this long for queries still reading them
        self.focused = focused  # validate what a write touched (False: the whole data graph, always)

    # operations -------------------------------------------------------------
    def update(self, sparql: str, base_iri: str | None = None) -> WriteReport:
        """Run a SPARQL Update, the exact text the policy checked (RefusedQuery, QuerySyntaxError
        before the write lock is taken); the protocol's dataset is already in it (``with_using``)."""
        self.policy.update(sparql, base_iri=base_iri)
        targets = update_targets(sparql, base_iri)
        refuse_read_only([g or None for g in targets.graphs])

        def change(store: Store) -> Changes:
            refuse_read_only([], targets.unnamed, store.graphs())
            return apply_update(store, sparql, base_iri, lambda text: run_update(store, text, base_iri))

        return self._write(change)

    def put_graph(self, iri: str | None, triples: list[ox.Triple]) -> WriteReport:
        """Replace a graph's triples (Graph Store PUT); ``created`` when it did not exist."""
        refuse_read_only([iri])
        name = graph_name(iri)

        def replace(store: Store) -> Changes:
            changes = _added(triples)
            if _exists(store, name):
                record_graph(changes, store.db, name, deleted=True)
            _clear(store, name)
            _add(store, name, triples)
            return changes

        return self._write(replace, created=lambda s: _is_new(s, name))

    def post_graph(self, iri: str | None, triples: list[ox.Triple]) -> WriteReport:
        """Add triples to a graph (Graph Store POST); ``created`` when it did not exist."""
        refuse_read_only([iri])
        name = graph_name(iri)

        def add(store: Store) -> Changes:
            _add(store, name, triples)
            return _added(triples)

        return self._write(add, created=lambda s: _is_new(s, name))

    def delete_graph(self, iri: str | None) -> WriteReport:
        """Remove a named graph, or empty the default graph (Graph Store DELETE); NotFound if absent."""
        refuse_read_only([iri])
        name = graph_name(iri)

        def drop(store: Store) -> Changes:
            if not _exists(store, name):
                raise NotFound(f"no graph {iri} in this store")
            changes = Changes()
            record_graph(changes, store.db, name, deleted=True)
            _clear(store, name) if isinstance(name, ox.DefaultGraph) else store.db.remove_graph(name)
            return changes

        return self._write(drop)

    # the transaction --------------------------------------------------------
    def _write(
        self, change: Callable[[Store], Changes], created: Callable[[Store], bool] = lambda _: False
    ) -> WriteReport:
        started = time.perf_counter()

        def apply(store: Store, build: Path) -> WriteReport:
            report = WriteReport(build, created=created(store))
            changes = change(store)
            shacl, report.validated = gate(store, build / SHAPES, changes if self.focused else None)
            recorded = (self.location.manifest() or {}).get("graphs", {})
            report.graphs, report.warnings = graph_sizes(store, recorded), shacl.warnings if shacl else 0
            return report

        _, report = transaction(
            self.location,
            apply,
            lambda previous, r: _next_manifest(previous, r.graphs),
            lock_timeout=self.lock_timeout,
            grace=self.grace,
            fallback_shapes=self.fallback_shapes,
        )
        report.seconds = time.perf_counter() - started
        return report


T = TypeVar("T")
Start = Literal["committed", "committed-or-empty", "empty"]


def transaction(
    location: StoreLocation,
    apply: Callable[[Store, Path], T],
    manifest: Callable[[dict[str, Any], T], dict[str, Any]],
    *,
    lock_timeout: float,
    grace: float,
    start: Start = "committed",
    fallback_shapes: Path | None = None,
    operation: str = "write",
) -> tuple[Path, T]:
    """Holding the write lock: :func:`staged`. Used by every write, import and restore."""
    with location.lock(lock_timeout, operation):
        return staged(location, apply, manifest, grace=grace, start=start, fallback_shapes=fallback_shapes)


def staged(
    location: StoreLocation,
    apply: Callable[[Store, Path], T],
    manifest: Callable[[dict[str, Any], T], dict[str, Any]],
    *,
    grace: float,
    start: Start = "committed",
    fallback_shapes: Path | None = None,
) -> tuple[Path, T]:
    """A new build made from the committed one (``start``: a copy of it, required or when there is
    one, or nothing), changed by ``apply`` (it raises to refuse) and committed with ``manifest(previous
    manifest, result)``. On any error the new build is removed and the store is as it was. The
    caller holds the write lock (a build holds it for its whole run)."""
    current = location.current()
    if current is None and start == "committed":
        raise StoreError(f"no store at {location.path}: run `exoowl build` first")
    location.prune(grace=grace)
    build = location.new_build()
    try:
        if current is not None and start != "empty":
            _checkpoint(current, build, fallback_shapes)
        elif fallback_shapes is not None and fallback_shapes.is_dir():
            load_shapes(fallback_shapes).serialize(build / SHAPES, format="turtle")
        with Store.open_directory(build / DATABASE) as store:
            result = apply(store, build)
            store.flush()
    except OSError as exc:  # RocksDB's and the file system's: a full disk, a lost mount
        shutil.rmtree(build, ignore_errors=True)
        raise StoreError(f"{disk_problem(exc)}; nothing was changed, the store is as it was") from None
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    try:
        location.commit(build, manifest(location.manifest() or {}, result))
    except OSError as exc:
        shutil.rmtree(build, ignore_errors=True)
        raise StoreError(f"{disk_problem(exc)} while committing; the store is as it was") from None
    return build, result


def disk_problem(exc: OSError) -> str:
    """An OSError of the store's disk as a sentence (a full disk named as such)."""
    message = " ".join(str(exc).split())
    if "No space left" in message or getattr(exc, "errno", None) == errno.ENOSPC:
        return f"the store's disk is full ({message[:300]})"
    return f"the store could not be written ({message[:300]})"


def _checkpoint(current: Path, build: Path, fallback_shapes: Path | None) -> None:
    """The committed build's database (RocksDB checkpoint: hard links) and shapes, in ``build``."""
    with Store.open_directory(current / DATABASE, read_only=True) as committed:
        committed.db.backup(str(build / DATABASE))
    if (current / SHAPES).exists():
        shutil.copyfile(current / SHAPES, build / SHAPES)
    elif fallback_shapes is not None and fallback_shapes.is_dir():
        load_shapes(fallback_shapes).serialize(build / SHAPES, format="turtle")


def run_update(store: Store, sparql: str, base_iri: str | None) -> None:
    """One transaction; the parser's and the engine's refusals become typed errors."""
    refuse_crashing(sparql)
    try:
        engine_update(store.db, sparql, base_iri)
    except SyntaxError as exc:
        raise QuerySyntaxError(f"malformed SPARQL Update: {exc}") from exc
    except (OSError, ValueError, RuntimeError) as exc:
        raise UpdateFailed(f"the update failed and nothing was changed: {exc}") from exc


def gate(store: Store, shapes_file: Path, changes: Changes | None = None) -> tuple[Report | None, str]:
    """SHACL over the store's data graphs (all but the ontology, inferred and imported graphs), with
    the ontology graph as vocabulary; ValidationFailed when a Violation remains. No shapes, no gate.

    With the write's ``changes`` known, only the nodes it touched are validated, over what the
    shapes read about them (``exoowl.focus``): the same results full validation gives for those
    nodes. Violations elsewhere, already in the store, do not refuse the write. Also says what was
    validated."""
    if not shapes_file.exists():
        return None, "nothing: the store has no shapes"
    shapes = parse_file(shapes_file, "turtle")
    scope = focus_of(store, shapes, changes)
    ontology = to_rdflib(store.triples(str(GRAPH_ONTOLOGY)) if store.has_graph(str(GRAPH_ONTOLOGY)) else [])
    if isinstance(scope, str):
        report, validated = validate_graph(data_graph(store), shapes, ontology), f"the whole data graph: {scope}"
    else:
        data = to_rdflib(neighbourhood(store.db, scope, is_gated, target_objects_of(shapes)))
        report = validate_graph(data, shapes, ontology, focus={n.value for n in scope})
        validated = f"the {len(scope)} node(s) the write touched"
    if not report.conforms:
        raise ValidationFailed(
            f"SHACL: the write would leave {report.violations} violation(s); nothing was changed", report
        )
    return report, validated


def focus_of(store: Store, shapes: Graph, changes: Changes | None) -> set[ox.NamedNode | ox.BlankNode] | str:
    """The nodes to validate after a write, or why the whole data graph is validated."""
    if changes is None:
        return "focused validation is off"
    if changes.unknown is not None:
        return changes.unknown
    unsupported = unsupported_shapes(shapes)
    return unsupported if unsupported is not None else focus_nodes(store.db, changes, is_gated)


def data_graph(store: Store) -> Graph:
    """The union of the graphs SHACL validates, the default graph included, as one rdflib graph."""
    return to_rdflib(t for g in [*(g for g in store.graphs() if is_gated(g)), None] for t in store.triples(g))


def graph_sizes(store: Store, recorded: dict[str, int] | None = None, default: bool = True) -> dict[str, int]:
    """Triples per named graph (and in the default graph, key ``default``). An imported graph keeps
    the size ``recorded`` for it (its import counted it; counting millions of triples on every write
    would cost seconds); every other graph is counted."""
    recorded = recorded or {}
    sizes = {g: recorded[g] if is_import_graph(g) and g in recorded else _count(store, g) for g in store.graphs()}
    if default:
        sizes["default"] = _count(store, None)
    return sizes


def _count(store: Store, graph: str | None) -> int:
    """A graph's triples counted by the engine (a million: about a second; through Python, 10x that)."""
    pattern = "{ ?s ?p ?o }" if graph is None else f"{{ GRAPH {ox.NamedNode(graph)} {{ ?s ?p ?o }} }}"
    solutions = store.db.query(f"SELECT (COUNT(*) AS ?n) WHERE {pattern}")
    return int(next(iter(solutions))[0].value)  # type: ignore[arg-type]  # a SELECT: solutions, never a boolean


def _added(triples: list[ox.Triple]) -> Changes:
    changes = Changes()
    changes.record(inserted=triples)
    return changes


def _next_manifest(previous: dict[str, Any], graphs: dict[str, int]) -> dict[str, Any]:
    """The committed build's manifest, carried over, with the write counted."""
    return {
        **previous,
        "graphs": graphs,
        "writes": int(previous.get("writes", 0)) + 1,
        "last_write": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _is_new(store: Store, name: GraphName) -> bool:
    """Whether a write creates the graph: a named graph not in the store, or an empty default graph."""
    if isinstance(name, ox.DefaultGraph):
        return next(iter(store.db.quads_for_pattern(None, None, None, name)), None) is None
    return not store.db.contains_named_graph(name)


def _exists(store: Store, name: GraphName) -> bool:
    return isinstance(name, ox.DefaultGraph) or store.db.contains_named_graph(name)


def _clear(store: Store, name: GraphName) -> None:
    if _exists(store, name):
        store.db.clear_graph(name)


def _add(store: Store, name: GraphName, triples: list[ox.Triple]) -> None:
    if isinstance(name, ox.NamedNode):
        store.db.add_graph(name)
    store.db.extend(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)


def restore(
    location: StoreLocation,
    dump: Path,
    *,
    shapes_dir: Path | None = None,
    lock_timeout: float = 300.0,
    grace: float = 60.0,
) -> WriteReport:
    """A store made from an ``exoowl export`` (N-Quads or TriG: every graph, the default graph
    included) and committed as a new build; the store is unchanged if the dump does not parse.
    Writes after the restore are gated by ``shapes_dir``'s shapes."""
    formats = {".nq": ox.RdfFormat.N_QUADS, ".nquads": ox.RdfFormat.N_QUADS, ".trig": ox.RdfFormat.TRIG}
    if dump.suffix.lower() not in formats:
        raise UsageError(f"restore reads a whole-store export: .nq (N-Quads) or .trig (TriG); got {dump.name}")
    if not dump.is_file():
        raise UsageError(f"no file {dump}")
    started = time.perf_counter()

    def load(store: Store, build: Path) -> WriteReport:
        try:
            store.db.bulk_load(path=str(dump), format=formats[dump.suffix.lower()])
        except SyntaxError as exc:
            raise InputError(f"the dump does not parse: {exc}; the store was not changed", dump) from exc
        return WriteReport(build, graph_sizes(store))

    def manifest(_previous: dict[str, Any], report: WriteReport) -> dict[str, Any]:
        return {
            "restored_from": dump.name,
            "graphs": report.graphs,
            "writes": 0,
            "restored": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    _, report = transaction(
        location,
        load,
        manifest,
        lock_timeout=lock_timeout,
        grace=grace,
        start="empty",
        fallback_shapes=shapes_dir,
        operation="restore",
    )
    report.seconds = time.perf_counter() - started
    return report
