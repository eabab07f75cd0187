"""HTTP benchmark: throughput and latency of the named queries over HTTP, exoowl (gunicorn +
pyoxigraph) against rdflib-endpoint serving the same data, both measured in one run, with the
same queries run in-process on pyoxigraph at the same concurrency as the ceiling. Writes the
'http' section of bench/RESULTS.md.

    .venv/bin/python bench/run_http.py --rdflib-endpoint /path/to/venv/bin/rdflib-endpoint

rdflib-endpoint is installed in a separate virtual environment (its FastAPI stack is no
dependency of exoowl): ``python3 -m venv /tmp/rdfep && /tmp/rdfep/bin/pip install rdflib-endpoint==0.6.3``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_vesiclepedia import generate
from run_core import machine, median_ms, write_section

from exoowl.api import KnowledgeGraph
from exoowl.build import build
from exoowl.config import load_settings
from exoowl.importers import import_file
from exoowl.query import bind_values
from exoowl.store import Store, StoreLocation

ROOT = Path(__file__).resolve().parents[1]
EXOOWL = str(Path(sys.executable).with_name("exoowl"))
ACCEPT = {"Accept": "application/sparql-results+json"}
PREFLIGHT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.post(url, data={"query": "ASK {}"}, headers=ACCEPT, timeout=5)
            return
        except requests.ConnectionError as error:
            if process.poll() is not None:
                raise SystemExit(f"server exited: {process.args}") from error
            time.sleep(0.5)
    raise SystemExit(f"{url} did not start")


def workload(kg: KnowledgeGraph) -> list[tuple[str, str]]:
    """(name, SPARQL text with the example's parameters bound) for every named query."""
    items = []
    for name, named in kg.named_queries().items():
        params = {}
        for arg in shlex.split(named.examples[0]) if named.examples else []:
            if "=" in arg and not arg.startswith("-"):
                key, value = arg.split("=", 1)
                params[key] = value
        items.append((name, bind_values(named.sparql, named.bindings(params))))
    return items


def run_load(call, queries: list[tuple[str, str]], clients: int, seconds: float) -> dict:
    """Round-robin the queries from ``clients`` threads for ``seconds``; latencies per query."""
    latencies: dict[str, list[float]] = {name: [] for name, _ in queries}
    errors, lock, stop = [0], threading.Lock(), time.monotonic() + seconds

    def client(offset: int) -> None:
        i = offset
        session = requests.Session()
        while time.monotonic() < stop:
            name, text = queries[i % len(queries)]
            started = time.perf_counter()
            ok = call(session, text)
            elapsed = time.perf_counter() - started
            with lock:
                latencies[name].append(elapsed) if ok else errors.__setitem__(0, errors[0] + 1)
            i += 1

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.monotonic() - started
    done = sum(len(v) for v in latencies.values())
    return {"throughput": done / wall, "requests": done, "errors": errors[0], "latencies": latencies}


def http_call(url: str, timeout: float):
    def call(session: requests.Session, text: str) -> bool:
        try:
            return session.post(url, data={"query": text}, headers=ACCEPT, timeout=timeout).status_code == 200
        except requests.RequestException:
            return False

    return call


def inprocess_call(store: Store):
    def call(_session, text: str) -> bool:
        list(store.query(text))
        return True

    return call


def imported_store(settings, records: int, tmp: Path) -> Path:
    """The curated store plus ``records`` generated Vesiclepedia-shaped records imported with
    ``exoowl import``: a million-triple store whose extra data is what labs will load beside the
    review (the named queries' answers stay the review's)."""
    source = tmp / "VESICLEPEDIA_PROTEIN_MRNA_DETAILS_bench.txt"
    generate(source, records)
    import_file(StoreLocation(settings.store_path), "vesiclepedia", source)
    return settings.store_path


def serve_exoowl(store: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            EXOOWL,
            "serve",
            "--no-build",
            "--store",
            str(store),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--query-timeout",
            "120",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/sparql"
    wait_for(url, process)
    return process, url


def serve_rdflib(endpoint: str, data: Path) -> tuple[subprocess.Popen, str, float]:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [endpoint, "serve", "--host", "127.0.0.1", "--port", str(port), str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for(url, process)
    return process, url, time.monotonic() - started


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(30)


def preflight(url: str, queries: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The queries a server answers, and the error it gives for the others."""
    answered, failed = [], {}
    for name, text in queries:
        try:
            response = requests.post(url, data={"query": text}, headers=ACCEPT, timeout=PREFLIGHT_SECONDS)
        except requests.RequestException as exc:
            failed[name] = f"no answer within {PREFLIGHT_SECONDS} s ({type(exc).__name__})"
            continue
        if response.status_code == 200:
            answered.append((name, text))
        else:
            failed[name] = " ".join(response.text.split())[:160]
    return answered, failed


def measure(
    label: str,
    store_path: Path,
    endpoint: str,
    queries,
    clients: int,
    seconds: float,
    rdflib_seconds: float,
    workers: int,
) -> list[str]:
    kg_store = Store.open(store_path)
    triples = len(kg_store.db)
    with tempfile.TemporaryDirectory(prefix="exoowl-bench-http-") as tmp:
        dump = Path(tmp) / "data.nq"
        kg_store.export(dump, "nquads")
        print(f"[{label}] rdflib-endpoint (loading {triples} triples) …", file=sys.stderr)
        peer, peer_url, load_s = serve_rdflib(endpoint, dump)
        try:
            queries, failed = preflight(peer_url, queries)
            if any(reason.startswith("no answer") for reason in failed.values()):
                # rdflib-endpoint cannot cancel a query: one past the limit keeps a core busy, so the
                # load run starts on a fresh server
                stop_process(peer)
                peer, peer_url, _ = serve_rdflib(endpoint, dump)
            theirs = run_load(http_call(peer_url, 300), queries, clients, rdflib_seconds)
        finally:
            stop_process(peer)
        print(f"[{label}] in-process …", file=sys.stderr)
        ceiling = run_load(inprocess_call(kg_store), queries, clients, seconds)
        del kg_store
        print(f"[{label}] exoowl over HTTP …", file=sys.stderr)
        server, url = serve_exoowl(store_path, workers)
        try:
            ours = run_load(http_call(url, 120), queries, clients, seconds)
        finally:
            stop_process(server)
    ratio = ours["throughput"] / theirs["throughput"] if theirs["throughput"] else float("inf")
    lines = [
        f"### {label}: {triples} triples, {clients} concurrent clients",
        "",
        f"Workload: the {len(queries)} named queries that rdflib-endpoint answers (within {PREFLIGHT_SECONDS} s)"
        + (
            f"; it fails {len(failed)} others ({', '.join(sorted(failed))}: "
            f"{next(iter(failed.values()))} …), which exoowl answers."
            if failed
            else "."
        ),
        "",
        "| server | requests | errors | throughput (req/s) | vs rdflib-endpoint | vs in-process |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| pyoxigraph in-process (ceiling) | {ceiling['requests']} | 0 | {ceiling['throughput']:.1f} | "
        f"{ceiling['throughput'] / max(theirs['throughput'], 1e-9):.0f}x | 1.00 |",
        f"| exoowl over HTTP ({workers} gunicorn workers) | {ours['requests']} | {ours['errors']} | "
        f"{ours['throughput']:.1f} | {ratio:.0f}x | {ours['throughput'] / ceiling['throughput']:.2f} |",
        f"| rdflib-endpoint 0.6.3 (loaded in {load_s:.0f} s) | {theirs['requests']} | {theirs['errors']} | "
        f"{theirs['throughput']:.2f} | 1x | {theirs['throughput'] / ceiling['throughput']:.4f} |",
        "",
        "| query | exoowl median ms | rdflib-endpoint median ms | in-process median ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, _ in queries:
        lines.append(
            f"| {name} | {median_ms(ours['latencies'][name])} | {median_ms(theirs['latencies'][name])} | "
            f"{median_ms(ceiling['latencies'][name])} |"
        )
    return [*lines, "", "A – means that no request of that query finished within the run.", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rdflib-endpoint", required=True, help="path to the rdflib-endpoint command")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rdflib-seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--records",
        type=int,
        default=110_000,
        help="generated records imported for the large run (110,000 make about a million triples)",
    )
    parser.add_argument("--only", choices=["curated", "scaled"], help="run one of the two parts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exoowl-bench-") as tmp:
        settings = load_settings({"store": Path(tmp) / "store"}, environ={})
        build(settings)
        kg = KnowledgeGraph(settings, Store.open(settings.store_path))
        queries = workload(kg)
        intro = [
            "## HTTP: exoowl against rdflib-endpoint, and the in-process ceiling",
            "",
            f"Measured by `bench/run_http.py` on {machine()}. Each of {args.clients} client threads sends the "
            f"named queries (their first example) round-robin as form POSTs for {args.seconds:.0f} s "
            f"({args.rdflib_seconds:.0f} s for rdflib-endpoint, which answers far fewer); the ceiling runs the "
            "same query texts on pyoxigraph in-process from the same number of threads. Client, servers and "
            "store share the machine's 2 cores.",
            "",
        ]
        if args.only in (None, "curated"):
            part = measure(
                "Curated graph",
                settings.store_path,
                args.rdflib_endpoint,
                queries,
                args.clients,
                args.seconds,
                args.rdflib_seconds,
                args.workers,
            )
            write_section("\n".join(intro + part) + "\n", "http-curated")
        if args.only in (None, "scaled"):
            large = load_settings({"store": Path(tmp) / "large"}, environ={})
            build(large)
            imported_store(large, args.records, Path(tmp))
            part = measure(
                f"Curated graph and {args.records:,} imported Vesiclepedia-shaped records",
                large.store_path,
                args.rdflib_endpoint,
                queries,
                args.clients,
                args.seconds,
                args.rdflib_seconds,
                args.workers,
            )
            write_section("\n".join(part) + "\n", "http-scaled")
    print("wrote bench/RESULTS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
