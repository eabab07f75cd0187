"""The build: edit file → release; curated tables → RDF; SHACL; HermiT; OWL 2 RL; new store swapped in."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from . import __version__
from .config import Settings
from .curate import curated_graph
from .errors import ReasoningFailed, ValidationFailed
from .namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REVIEW, is_import_graph
from .ontology import release_graph, release_is_current, write_release
from .query import bind_values
from .rdfio import to_rdflib
from .reason import Classification, hermit_graphs, materialise_rl, subclass_graph
from .remote import RemoteStore
from .rules import apply_rules
from .service import internal_query
from .store import DATABASE, SHAPES, Store, StoreLocation
from .validate import Report, load_shapes, validate_graph
from .vocabulary import NAME_KEY, NAME_PREDICATES, name_key
from .write import graph_sizes, staged

Progress = Callable[[str], None]
BUILT_GRAPHS = (str(GRAPH_ONTOLOGY), str(GRAPH_REVIEW), str(GRAPH_INFERRED))
BUILD_LOCK_WAIT = 300.0  # seconds a build waits for a running write or build to finish
T = TypeVar("T")


@dataclass
class BuildReport:
    store: Path | str
    build: Path | None = None
    skipped: bool = False
    tables: dict[str, int] = field(default_factory=dict)
    graphs: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    validation: Report | None = None
    classification: Classification | None = None
    release_written: bool = False


def input_files(settings: Settings) -> list[Path]:
    """Everything a build reads; their digest decides whether a store is stale."""
    globs = [
        (settings.ontology_dir, "exoowl-edit.ttl"),
        (settings.ontology_dir / "modules", "*.ttl"),
        (settings.shapes_dir, "*.ttl"),
        (settings.rules_dir, "*.rq"),
        (settings.curated_dir, "*.tsv"),
        (settings.mappings_dir, "*.toml"),
        (settings.mappings_dir, "*.sssom.tsv"),
    ]
    return sorted(p for d, pattern in globs if d.exists() for p in d.glob(pattern))


def input_digest(settings: Settings) -> str:
    digest = hashlib.sha256(__version__.encode())
    for path in input_files(settings):
        digest.update(str(path.relative_to(settings.root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def is_stale(settings: Settings) -> bool:
    if settings.remote_store:
        with RemoteStore.open(settings.remote_store, timeout=settings.query_timeout) as store:
            record = remote_record(store)
        return record is None or record[0] != input_digest(settings)
    manifest = StoreLocation(settings.store_path).manifest()
    return manifest is None or manifest.get("inputs") != input_digest(settings)


def remote_record(store: RemoteStore) -> tuple[str, str] | None:
    """(inputs digest, built) of the last build written to a SPARQL server, or None."""
    rows = list(store.query(internal_query("build-record")))
    return (rows[0]["inputs"].value, rows[0]["built"].value) if rows else None


class _Timer:
    def __init__(self, report: BuildReport, progress: Progress) -> None:
        self.report, self.progress = report, progress

    def step(self, name: str, action: Callable[[], T]) -> T:
        self.progress(f"{name} …")
        started = time.perf_counter()
        result = action()
        self.report.seconds[name] = round(time.perf_counter() - started, 3)
        self.progress(f"{name}: done in {self.report.seconds[name]:.2f} s")
        return result


def assemble(settings: Settings, timer: _Timer) -> tuple[Graph, Graph]:
    """The release graph and the curated (review) graph, rules applied."""
    release = timer.step("ontology", lambda: release_graph(settings.edit_file, settings.ontology_mappings))
    if not release_is_current(settings.edit_file, settings.ontology_mappings, settings.release_file):
        write_release(release, settings.release_file)
        timer.report.release_written = True
        timer.progress(f"wrote {settings.release_file}")
    review, timer.report.tables = timer.step(
        "curate", lambda: curated_graph(settings.curated_dir, settings.mappings_dir)
    )
    review += timer.step("rules", lambda: apply_rules(settings.rules_dir, release, review))
    review += name_keys(review)
    return release, review


def name_keys(graph: Graph) -> Graph:
    """The lookup key (exoowl:nameKey) of every name in a graph, as the importers write them."""
    keys = Graph()
    for predicate in NAME_PREDICATES:
        for subject, name in graph.subject_objects(URIRef(predicate)):
            keys.add((subject, URIRef(NAME_KEY), Literal(name_key(str(name)))))
    return keys


def check(settings: Settings, release: Graph, review: Graph, carried: Graph, timer: _Timer) -> Graph:
    """Validate (the curated graph with the graphs carried over) and reason over the curated graph;
    raise when the data would not be served. Returns the inferred graph."""
    shapes = load_shapes(settings.shapes_dir)
    report = timer.step("validate", lambda: validate_graph(review + carried, shapes, release))
    timer.report.validation = report
    if not report.conforms:
        raise ValidationFailed(f"SHACL: {report.violations} violation(s); the store was not changed", report)
    classification = timer.step("hermit", lambda: hermit_graphs(release, review))
    timer.report.classification = classification
    if classification.unsatisfiable:
        raise ReasoningFailed(f"HermiT: unsatisfiable classes {', '.join(classification.unsatisfiable)}")
    # HermiT's classification completes the class hierarchy (OWL 2 RL leaves subsumptions between
    # defined classes out); the RL materialisation of the data then runs over the full hierarchy.
    hierarchy = subclass_graph(classification)
    inferred = timer.step("owl2rl", lambda: materialise_rl(release + review + hierarchy))
    return inferred + hierarchy


def carried_graph(location: StoreLocation, progress: Progress) -> Graph:
    """What a build keeps from the committed store and validates with the curated data: graphs
    written through the endpoint and the default graph. (Imported graphs are kept too, unvalidated:
    the importer checked them row by row.)"""
    current = location.current()
    if current is None:
        return Graph()
    with Store.open_directory(current / DATABASE, read_only=True) as store:
        keep = [ox.NamedNode(g) for g in store.graphs() if g not in BUILT_GRAPHS and not is_import_graph(g)]
        names: list[ox.NamedNode | ox.DefaultGraph] = [*keep, ox.DefaultGraph()]
        quads = [q for name in names for q in store.db.quads_for_pattern(None, None, None, name)]
    writes = (location.manifest() or {}).get("writes", 0)
    if writes:
        progress(
            f"{writes} write(s) through the endpoint since the last build: their graphs are kept "
            f"({len(quads)} triples); the built graphs (ontology, review, inferred) are made anew"
        )
    return to_rdflib(quads)


def write_store(
    settings: Settings, location: StoreLocation, graphs: dict[str, Graph], report: BuildReport, digest: str
) -> None:
    """A new build: a copy of the committed store (so written and imported graphs carry over
    whatever their size) with the built graphs replaced; then the manifest and the swap. The
    caller holds the write lock."""

    def replace(store: Store, build: Path) -> None:
        load_shapes(settings.shapes_dir).serialize(build / SHAPES, format="turtle")
        for iri, graph in graphs.items():
            store.replace_graph(iri, graph)
        sizes = graph_sizes(store, (location.manifest() or {}).get("graphs", {}), default=False)
        report.graphs.update({iri: sizes[iri] for iri in graphs})  # the built graphs first, then the kept
        report.graphs.update(sizes)

    def manifest(previous: dict[str, Any], _result: None) -> dict[str, Any]:
        return {
            "inputs": digest,
            "exoowl": __version__,
            "graphs": report.graphs,
            "tables": report.tables,
            "seconds": report.seconds,
            "writes": 0,
            "imports": previous.get("imports", {}),
            "built": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    report.build, _ = staged(location, replace, manifest, grace=settings.query_timeout * 2, start="committed-or-empty")


def build(settings: Settings, progress: Progress = lambda _: None, only_if_stale: bool = False) -> BuildReport:
    """Build the knowledge graph into a new store and swap it in; the old one stays on any failure."""
    if settings.remote_store:
        return build_remote(settings, progress, only_if_stale)
    location = StoreLocation(settings.store_path)
    report = BuildReport(store=settings.store_path)
    location.current()  # refuses a path that is not an exoowl store before any work
    digest = input_digest(settings)
    if only_if_stale and not is_stale(settings):
        report.skipped = True
        progress(f"store at {settings.store_path} is up to date")
        return report
    with location.lock(BUILD_LOCK_WAIT, operation="build") as unfinished:
        if unfinished:
            progress(f"the last {unfinished.get('operation')} (started {unfinished.get('started')}) did not finish")
        for stale in location.interrupted():
            progress(f"removing {stale.name}, left by an interrupted build or write")
        location.prune(grace=settings.query_timeout * 2)
        timer = _Timer(report, progress)
        carried = carried_graph(location, progress)
        release, review = assemble(settings, timer)
        inferred = check(settings, release, review, carried, timer)
        graphs = {str(GRAPH_ONTOLOGY): release, str(GRAPH_REVIEW): review, str(GRAPH_INFERRED): inferred}
        timer.step("store", lambda: write_store(settings, location, graphs, report, digest))
        location.prune(protect=[report.build] if report.build else [], grace=settings.query_timeout * 2)
    return report


def build_remote(settings: Settings, progress: Progress, only_if_stale: bool) -> BuildReport:
    """The build against a SPARQL server: the same checks, then the three graphs written to staging
    graphs and moved over the old ones in one update request. The server's other graphs (imports,
    its own data) are left as they are and not validated here."""
    with RemoteStore.open(settings.remote_store or "", timeout=settings.query_timeout) as store:
        return _build_remote(settings, progress, only_if_stale, store)


def _build_remote(settings: Settings, progress: Progress, only_if_stale: bool, store: RemoteStore) -> BuildReport:
    report = BuildReport(store=str(store.endpoints))
    digest = input_digest(settings)
    if only_if_stale and (recorded := remote_record(store)) is not None and recorded[0] == digest:
        report.skipped = True
        progress(f"the build on {store.endpoints} is up to date")
        return report
    timer = _Timer(report, progress)
    release, review = assemble(settings, timer)
    inferred = check(settings, release, review, Graph(), timer)
    graphs = {str(GRAPH_ONTOLOGY): release, str(GRAPH_REVIEW): review, str(GRAPH_INFERRED): inferred}
    record = bind_values(
        internal_query("build-record-write"),
        {
            "inputs": ox.Literal(digest),
            "version": ox.Literal(__version__),
            "built": ox.Literal(time.strftime("%Y-%m-%dT%H:%M:%S%z")),
        },
    )
    fills = {iri: _filler(store, graph) for iri, graph in graphs.items()}
    timer.step("store", lambda: store.replace_graphs(fills, record=record))
    report.graphs = {iri: len(graph) for iri, graph in graphs.items()}
    return report


def _filler(store: RemoteStore, graph: Graph) -> Callable[[str], None]:
    return lambda staging: store.put_graph(staging, graph.serialize(format="nt", encoding="utf-8"))
