"""The ``exoowl`` command: a thin layer over the library. Exit codes: 0 success, 1 validation
or reasoning failed, 2 usage or input error; errors print one line naming file and line."""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox

from . import __version__
from .api import open as open_kg
from .build import build as run_build
from .config import Settings, load_settings
from .errors import ExoowlError, ValidationFailed
from .importers import REJECTED_SHARE, SOURCES, import_file
from .namespaces import GRAPH_INFERRED, GRAPH_ONTOLOGY, GRAPH_REVIEW
from .query import GRAPH_FORMATS, SELECT_FORMATS, QueryResult, get_named_query, named_queries, parse_params, serialize
from .reason import hermit_graphs
from .remote import RemoteEndpoints, RemoteStore
from .store import EXPORT_FORMATS, StoreLocation
from .write import Writer
from .write import restore as restore_dump

OUTPUT_FORMATS = ["table", *SELECT_FORMATS, *GRAPH_FORMATS]


def _progress(message: str) -> None:
    click.echo(f"exoowl: {message}", err=True)


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--store",
        default=None,
        metavar="PATH|sparql+http://…",
        help="Store location, or a SPARQL server [env EXOOWL_STORE; default var/store in the project].",
    )(func)


def result_line(result: Any) -> str:
    """One SHACL result: severity, focus node, path and message, tab-separated."""
    return f"{result.severity}\t{result.focus}\t{result.path or '-'}\t{result.message}"


def print_report(report: Any) -> None:
    for r in report.results:
        click.echo(result_line(r))
    click.echo(
        f"conforms: {'yes' if report.conforms else 'no'} "
        f"({report.violations} violation(s), {report.warnings} warning(s))"
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="exoowl")
def cli() -> None:
    """exoowl: the semantic knowledge graph of tumor-derived exosomes."""


@cli.command()
@store_option
@click.option("--if-stale", is_flag=True, help="Do nothing when the store was built from the current inputs.")
def build(store: str | None, if_stale: bool) -> None:
    """Build the knowledge graph: release, curated tables, SHACL, HermiT, OWL 2 RL, store swap."""
    report = run_build(load_settings({"store": store}), progress=_progress, only_if_stale=if_stale)
    if not report.skipped:
        total = sum(report.graphs.values())
        click.echo(
            f"built {report.store} ({total} triples: "
            + ", ".join(f"{g.rsplit('/', 1)[-1]} {n}" for g, n in report.graphs.items())
            + ")"
        )


@cli.command()
@store_option
@click.option(
    "--data",
    "data_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Validate this RDF file instead of the store's curated graph.",
)
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the full report here (.ttl for Turtle, .json for JSON).",
)
def validate(store: str | None, data_file: Path | None, report_file: Path | None) -> None:
    """SHACL-validate the curated graph; prints focus node, path, message and severity."""
    with open_kg(store) as kg:
        report = kg.validate(data_file)
    print_report(report)
    if report_file:
        text = report.to_json() if report_file.suffix == ".json" else report.to_turtle()
        report_file.write_text(text, encoding="utf-8")
    if not report.conforms:
        failed = ValidationFailed(f"{report.violations} SHACL violation(s)", report)
        failed.printed = True
        raise failed


@cli.command()
@store_option
def reason(store: str | None) -> None:
    """HermiT: consistency and classification of the release with the curated data."""
    with open_kg(store) as kg:
        ontology, review, counts = kg.graph(str(GRAPH_ONTOLOGY)), kg.graph(str(GRAPH_REVIEW)), kg.counts()
    result = hermit_graphs(ontology, review)
    click.echo(f"consistent: {'yes' if result.consistent else 'no'}")
    click.echo(f"unsatisfiable classes: {len(result.unsatisfiable)}")
    for iri in result.unsatisfiable:
        click.echo(f"  {iri}")
    click.echo(f"inferred subclass axioms: {len(result.inferred_subclass_axioms)}")
    click.echo(f"inferred individual types: {result.individuals_classified}")
    click.echo(f"HermiT time: {result.seconds:.2f} s")
    click.echo(f"OWL 2 RL inferred triples in the store: {counts.get(str(GRAPH_INFERRED), 0)}")
    if result.unsatisfiable:
        raise SystemExit(1)


@cli.command()
@store_option
@click.argument("sparql", required=False)
@click.option(
    "--file",
    "query_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the SPARQL query from a file.",
)
@click.option("--name", "-n", help="Run a named query from queries/ (see --list).")
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="A named query parameter.")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="table: a text table for SELECT, yes/no for ASK, Turtle for CONSTRUCT and DESCRIBE.",
)
@click.option("--asserted", is_flag=True, help="Leave the inferred graph out of the default graph.")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries and their parameters.")
def query(
    store: str | None,
    sparql: str | None,
    query_file: Path | None,
    name: str | None,
    params: tuple[str, ...],
    fmt: str,
    asserted: bool,
    list_queries: bool,
) -> None:
    """Run SPARQL: a string, a --file, or a --name'd query with --param values."""
    settings = load_settings({"store": store})
    if list_queries:
        for q in named_queries(settings.queries_dir).values():
            args = " ".join(f"{p.name}=<{p.type}>" if p.required else f"[{p.name}=<{p.type}>]" for p in q.parameters)
            click.echo(f"{q.name} {args}\n    {q.question}")
        return
    given = [x for x in (sparql, query_file, name) if x]
    if len(given) != 1:
        raise click.UsageError("give exactly one of SPARQL, --file or --name")
    bindings = None
    if name:
        named = get_named_query(settings.queries_dir, name)
        text, bindings = named.sparql, named.bindings(parse_params(params))
    else:
        if params:
            raise click.UsageError("--param only applies to --name")
        text = query_file.read_text(encoding="utf-8") if query_file else sparql or ""
    with open_kg(store) as kg:  # the results read the store as they are written out
        raw = kg.execute(text, asserted=asserted, bindings=bindings)
        if fmt == "table" and isinstance(raw, (ox.QueryTriples, list)):  # a graph: Turtle is its table
            sys.stdout.buffer.write(serialize(raw, "turtle"))
            sys.stdout.buffer.flush()
        elif fmt == "table":
            click.echo(QueryResult.from_oxigraph(raw).table(), nl=False)
        else:
            sys.stdout.buffer.write(serialize(raw, fmt))
            sys.stdout.buffer.flush()


@cli.command(name="import")
@store_option
@click.argument("source", type=click.Choice(list(SOURCES)))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--release", "version", help="Release version of the file (default: read from its name, e.g. _5.1).")
@click.option(
    "--date",
    "released",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Date the file was published or downloaded (default: the file's modification date).",
)
@click.option(
    "--max-rejected",
    type=click.FloatRange(0, 1),
    default=REJECTED_SHARE,
    show_default=True,
    help="The largest share of rows that may be rejected; more, and nothing is imported (exit 2).",
)
def import_(
    store: str | None, source: str, file: Path, version: str | None, released: Any, max_rejected: float
) -> None:
    """Import an ExoCarta or Vesiclepedia download: experiment, protein/mRNA, miRNA, lipid, PTM or
    gene details, or a GPAD file of GO annotations.

    The file's kind is read from its header; its graph replaces any earlier import of that kind
    from that source, atomically. Bad rows are reported with their line numbers and skipped; when
    more than --max-rejected of them are bad, nothing is imported. Values are mapped to ontology
    terms through data/mappings/vocabulary/; the strings that reached no term are listed."""
    settings = load_settings({"store": store})
    with (
        click.progressbar(
            length=100, label=f"importing {file.name}", file=sys.stderr, item_show_func=lambda rate: rate
        ) as bar,
        ExitStack() as closing,
    ):
        started = time.monotonic()

        def progress(records: int, read: int, size: int) -> None:
            bar.update(
                int(100 * read / size) - bar.pos,
                f"{records} records, {records / max(time.monotonic() - started, 1e-6):,.0f}/s",
            )

        target = (
            closing.enter_context(RemoteStore.open(settings.remote_store, timeout=settings.query_timeout * 10))
            if settings.remote_store
            else StoreLocation(settings.store_path)
        )
        report = import_file(
            target,
            source,
            file,
            version=version,
            released=released.date() if released else None,
            progress=progress,
            message=_progress,
            lock_timeout=settings.query_timeout * 10,
            max_rejected=max_rejected,
        )
    for line, reason in report.bad_examples:
        click.echo(f"{file}:{line}: skipped: {reason}", err=True)
    if report.bad_rows > len(report.bad_examples):
        click.echo(f"… and {report.bad_rows - len(report.bad_examples)} more bad rows", err=True)
    for what, count in sorted(report.normalised.items()):
        click.echo(f"normalised: {what}: {count} row(s)", err=True)
    for column, (mapped, values) in report.coverage().items():
        click.echo(
            f"mapped: {column}: {mapped} of {values} values ({mapped / max(values, 1):.1%}) reached a term", err=True
        )
    for (column, text), count in sorted(report.unmapped.items(), key=lambda item: (item[0][0], -item[1], item[0][1])):
        click.echo(f"unmapped: {column}: {text!r}: {count} value(s)", err=True)
    for column, count in sorted(report.verbatim.items()):
        click.echo(f"kept verbatim: column {column!r} (no mapping): {count} cell(s)", err=True)
    seconds = sum(report.seconds.values())
    click.echo(
        f"imported {report.records} {report.kind} records ({report.triples} triples) from {file.name} "
        f"into {report.graph} in {seconds:.1f} s ({report.records / max(seconds, 1e-9):,.0f} records/s); "
        f"{report.bad_rows} bad row(s) skipped"
    )


@cli.command()
@store_option
@click.option("--format", "-f", "fmt", type=click.Choice(list(EXPORT_FORMATS)), default="nquads", show_default=True)
@click.option("--graph", "graph_iri", help="Export one named graph (needed for turtle and ntriples).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
def export(store: str | None, fmt: str, graph_iri: str | None, output: Path | None) -> None:
    """Export the store (N-Quads, TriG) or one graph (Turtle, N-Triples)."""
    with open_kg(store) as kg:
        kg.store.export(output or sys.stdout.buffer, fmt, graph_iri)


@cli.command()
@store_option
@click.argument("sparql", required=False)
@click.option(
    "--file",
    "update_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the SPARQL Update from a file.",
)
def update(store: str | None, sparql: str | None, update_file: Path | None) -> None:
    """Apply a SPARQL Update to the local store: atomic and SHACL-gated, as through the endpoint.

    LOAD and SERVICE are refused unless EXOOWL_ALLOW_REMOTE names their IRIs (the server's rules)."""
    if bool(sparql) == bool(update_file):
        raise click.UsageError("give exactly one of SPARQL or --file")
    settings = load_settings({"store": store})
    text = update_file.read_text(encoding="utf-8") if update_file else sparql or ""
    report = Writer.from_settings(settings, lock_timeout=settings.query_timeout * 10).update(text)
    click.echo(
        f"committed {report.build.name} in {report.seconds:.2f} s "
        f"({report.warnings} SHACL warning(s)); graphs: "
        + ", ".join(f"{g.rsplit('/', 1)[-1]} {n}" for g, n in sorted(report.graphs.items()) if n is not None)
    )


@cli.command()
@store_option
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(store: str | None, dump: Path) -> None:
    """Make the store from an `exoowl export` (N-Quads .nq or TriG .trig), committed as a new build."""
    settings = load_settings({"store": store})
    report = restore_dump(
        StoreLocation(settings.store_path), dump, shapes_dir=settings.shapes_dir, grace=settings.query_timeout * 2
    )
    total = sum(n for n in report.graphs.values() if n)
    click.echo(f"restored {total} triples in {len(report.graphs)} graph(s) from {dump.name} into {report.build.name}")


@cli.command()
@store_option
def status(store: str | None) -> None:
    """The committed build and what was interrupted (builds, writes and imports killed mid-way)."""
    settings = load_settings({"store": store})
    state = StoreLocation(settings.store_path).status()
    manifest = state["manifest"] or {}
    click.echo(f"store: {state['store']}")
    click.echo(f"committed build: {state['build'] or 'none (run exoowl build)'}")
    for key in ("built", "restored", "last_write", "writes"):
        if key in manifest:
            click.echo(f"{key.replace('_', ' ')}: {manifest[key]}")
    for graph, size in sorted((manifest.get("graphs") or {}).items()):
        click.echo(f"graph {graph}: {size} triples")
    for name in state["interrupted"]:
        click.echo(
            f"interrupted: {name} (a build, write, import or restore that did not finish; the next one removes it)"
        )
    for name in state["orphaned_scratch"]:
        click.echo(f"interrupted: import scratch file {name} (the next write or import removes it)")
    if unfinished := state["unfinished"]:
        click.echo(
            f"interrupted: {unfinished.get('operation', 'write')} of process {unfinished.get('pid')} started "
            f"{unfinished.get('started')} ended without finishing (killed); the store is its last committed build"
        )
    if not state["interrupted"] and not state["orphaned_scratch"] and not unfinished:
        click.echo("interrupted: nothing")


@cli.command()
@store_option
@click.option("--host", help="Address to listen on [env EXOOWL_HOST; default 127.0.0.1].")
@click.option("--port", type=int, help="Port [env EXOOWL_PORT; default 8000].")
@click.option(
    "--query-timeout", type=float, help="Seconds before a query is stopped [env EXOOWL_QUERY_TIMEOUT; default 30]."
)
@click.option("--workers", type=int, help="Server worker processes [env EXOOWL_WORKERS; default 2].")
@click.option("--threads", type=int, help="Threads per worker [env EXOOWL_THREADS; default 16].")
@click.option(
    "--build/--no-build",
    "build_first",
    default=True,
    show_default=True,
    help="Build the store first when it is missing or stale.",
)
def serve(
    store: str | None,
    host: str | None,
    port: int | None,
    query_timeout: float | None,
    workers: int | None,
    threads: int | None,
    build_first: bool,
) -> None:
    """Serve the knowledge graph over HTTP (SPARQL endpoint and pages) with gunicorn.

    Updates are enabled only when EXOOWL_UPDATE_TOKEN is set."""
    settings = load_settings(
        {
            "store": store,
            "host": host,
            "port": port,
            "query_timeout": query_timeout,
            "workers": workers,
            "threads": threads,
        }
    )
    if build_first:
        run_build(settings, progress=_progress, only_if_stale=True)
    os.environ.update(
        {
            "EXOOWL_STORE": str(settings.remote_store or settings.store_path),
            "EXOOWL_ROOT": str(settings.root),
            "EXOOWL_QUERY_TIMEOUT": str(settings.query_timeout),
            "EXOOWL_HOST": settings.host,
            "EXOOWL_PORT": str(settings.port),
        }
    )
    access = (
        "writes enabled for requests with the bearer token (SPARQL Update at /sparql, Graph Store at /store)"
        if settings.update_token
        else "read-only: set EXOOWL_UPDATE_TOKEN to enable writes"
    )
    if settings.remote_store:
        access = "read-only: the SPARQL server takes writes at its own endpoints"
    shown = RemoteEndpoints.parse(settings.remote_store) if settings.remote_store else settings.store_path
    _progress(f"serving {shown} at http://{settings.host}:{settings.port}/ ({access})")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # Threaded workers (exoowl_server.worker) answer pages and /health while queries from outside
    # run in their query processes (exoowl.isolation), which are stopped at the query timeout.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_fresh_metrics_dir(settings))
    os.execv(
        str(gunicorn),
        [
            str(gunicorn),
            "--workers",
            str(settings.workers),
            "--worker-class",
            "exoowl_server.worker.AcceptingWorker",
            "--threads",
            str(settings.threads),
            "--limit-request-line",  # the longest request line gunicorn reads: long GET queries fit
            "8190",
            "--bind",
            f"{settings.host}:{settings.port}",
            "--timeout",
            str(int(settings.query_timeout) + 5),
            "--config",
            "python:exoowl_server.gunicorn_conf",
            "--access-logfile",
            "-",
            "exoowl_server:create_app()",
        ],
    )


def _fresh_metrics_dir(settings: Settings) -> Path:
    """An empty directory where the server's worker processes keep their metric samples."""
    directory = settings.var_dir / f"metrics-{settings.port}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    return directory


def main() -> None:
    """Entry point: typed errors become one line on stderr and an exit code, here only."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("exoowl: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ExoowlError as exc:
        if isinstance(exc, ValidationFailed) and exc.report is not None and not exc.printed:
            for r in getattr(exc.report, "results", []):
                if r.severity == "Violation":
                    click.echo(result_line(r), err=True)
        click.echo(f"exoowl: error: {exc.one_line()}", err=True)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    sys.exit(0)


if __name__ == "__main__":
    main()
