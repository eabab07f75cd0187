"""Import benchmark: a generated Vesiclepedia-shaped file of one million records imported with
``exoowl import`` (wall time, peak memory), pyoxigraph's own bulk loader on the same triples as
N-Triples (both in one run), then the named queries and the label search on the resulting store,
in-process on pyoxigraph and on rdflib (the same query texts, the same data). Writes the 'import'
section of bench/RESULTS.md.

    .venv/bin/python bench/run_import.py [--records 1000000]   # about 20 minutes, 12 GiB for rdflib
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_vesiclepedia import generate  # noqa: E402
from run_core import machine, median_ms, write_section  # noqa: E402
from run_http import workload  # noqa: E402

from exoowl.api import KnowledgeGraph  # noqa: E402
from exoowl.build import build  # noqa: E402
from exoowl.config import load_settings  # noqa: E402
from exoowl.importers import import_graph  # noqa: E402
from exoowl.query import get_named_query, bind_values  # noqa: E402
from exoowl.store import Store  # noqa: E402

EXOOWL = str(Path(sys.executable).with_name("exoowl"))
QUERY_RUNS = 30
SEARCH_TERMS = ("CD6", "exosome", "calnexin", "SYN123", "mir-21")
RDFLIB_LIMIT = 60  # seconds one rdflib query may take before it is stopped

# Runs a command and prints its wall time and peak resident memory (KiB) as JSON: the wrapper's
# only child is the command, so RUSAGE_CHILDREN is the command's own peak.
MEASURE = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
if done.returncode:
    sys.exit(done.stderr)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""
BULK_LOAD = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_TRIPLES)
store.flush()
"""
# rdflib in its own process: load the dataset, then time each query: a first run, and when that
# took under 5 s, 5 more (the median of those); SIGALRM stops a query that runs past the limit
# (rdflib is pure Python, so the signal interrupts it).
RDFLIB = """
import json, resource, signal, statistics, sys, time
from rdflib import Dataset
data, queries, limit = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3])
started = time.perf_counter()
dataset = Dataset(default_union=True)
dataset.parse(data, format="nquads")
load = time.perf_counter() - started
class Late(Exception): pass
def late(*_): raise Late()
signal.signal(signal.SIGALRM, late)
results = {}
for name, text in queries:
    samples = []
    try:
        for run in range(6):
            signal.alarm(limit)
            begun = time.perf_counter()
            rows = len(list(dataset.query(text)))
            elapsed = time.perf_counter() - begun
            signal.alarm(0)
            if run == 0 and elapsed >= 5:
                samples = [elapsed]
                break
            if run:
                samples.append(elapsed)
        results[name] = {"median_ms": statistics.median(samples) * 1000, "rows": rows}
    except Late:
        results[name] = {"error": f"over {limit} s"}
    except Exception as exc:
        signal.alarm(0)
        results[name] = {"error": " ".join(str(exc).split())[:100]}
print(json.dumps({"load_seconds": load, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "queries": results}))
"""


def measured(*command: str) -> dict:
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def timed_queries(kg: KnowledgeGraph, queries: list[tuple[str, str]]) -> dict[str, tuple[int, list[float]]]:
    results = {}
    for name, text in queries:
        rows = len(list(kg.store.query(text)))
        samples = []
        for _ in range(QUERY_RUNS):
            started = time.perf_counter()
            list(kg.store.query(text))
            samples.append(time.perf_counter() - started)
        results[name] = (rows, samples)
    return results


def search_queries(kg: KnowledgeGraph) -> list[tuple[str, str]]:
    named = get_named_query(kg.settings.queries_dir, "label-search")
    return [(f"label-search text={t}", bind_values(named.sparql, named.bindings({"text": t}))) for t in SEARCH_TERMS]


def run(records: int, tmp: Path) -> str:
    source = tmp / "VESICLEPEDIA_PROTEIN_MRNA_DETAILS_bench.txt"
    print(f"generating {records} records …", file=sys.stderr)
    good = generate(source, records)
    settings = load_settings({"store": tmp / "store"}, environ={})
    build(settings)
    print("exoowl import …", file=sys.stderr)
    ours = measured(EXOOWL, "import", "--store", str(settings.store_path), "vesiclepedia", str(source))
    kg = KnowledgeGraph(settings, Store.open(settings.store_path))
    graph = import_graph("vesiclepedia", "cargo")
    triples = kg.store.count(graph)
    ntriples, nquads = tmp / "import.nt", tmp / "store.nq"
    kg.store.export(ntriples, "ntriples", graph)
    print("pyoxigraph bulk loader …", file=sys.stderr)
    theirs = measured(sys.executable, "-c", BULK_LOAD, str(tmp / "bulk"), str(ntriples))
    ntriples.unlink()
    print("queries on pyoxigraph …", file=sys.stderr)
    queries = workload(kg) + search_queries(kg)
    oxigraph = timed_queries(kg, queries)
    kg.store.export(nquads, "nquads")
    total = len(kg.store.db)
    del kg
    print("queries on rdflib …", file=sys.stderr)
    spec = tmp / "queries.json"
    spec.write_text(json.dumps(queries))
    out = subprocess.run([sys.executable, "-c", RDFLIB, str(nquads), str(spec), str(RDFLIB_LIMIT)],
                         capture_output=True, text=True, check=True)
    rdflib = json.loads(out.stdout)
    return report(records, good, triples, total, ours, theirs, oxigraph, rdflib)


def gib(kib: int) -> str:
    return f"{kib / 1024 / 1024:.2f} GiB"


def report(records: int, good: int, triples: int, total: int, ours: dict, theirs: dict,
           oxigraph: dict, rdflib: dict) -> str:
    ratio = ours["seconds"] / theirs["seconds"]
    lines = [f"## Import: {records:,} Vesiclepedia-shaped records", "",
             f"Measured by `bench/run_import.py` on {machine()}. The file is written by "
             f"`bench/generate_vesiclepedia.py`: {records} records ({good} good, {records - good} malformed), "
             f"{triples} triples in the import graph; the store then holds {total} triples.", "",
             "| load | wall s | peak memory | records/s |", "| --- | ---: | ---: | ---: |",
             f"| `exoowl import vesiclepedia` (read, normalise, check, write N-Quads, bulk-load into a checkpoint, commit) | "
             f"{ours['seconds']:.1f} | {gib(ours['peak_kib'])} | {good / ours['seconds']:,.0f} |",
             f"| pyoxigraph `bulk_load` of the same triples as N-Triples, empty store | {theirs['seconds']:.1f} | "
             f"{gib(theirs['peak_kib'])} | – |", "",
             f"exoowl's import takes {ratio:.1f}x the bulk loader's time (target: at most 3x, 3 minutes, 2 GiB). "
             "Its peak memory is the bulk loader's own: reading and writing the records takes about 65 MB "
             "whatever the file size (the record IDs seen are kept as a bitmap).", "",
             f"### Named queries and the label search on that store ({QUERY_RUNS} runs each in-process)", "",
             f"rdflib {'.'.join(map(str, __import__('rdflib').__version__.split('.')[:3]))} loaded the same "
             f"N-Quads in {rdflib['load_seconds']:.0f} s, peak {gib(rdflib['peak_kib'])}; each query ran once, "
             f"and 5 more times (their median) when that took under 5 s; a query still running after "
             f"{RDFLIB_LIMIT} s was stopped.", "",
             "| query | rows | pyoxigraph median ms | p95 ms | rdflib median ms |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, (rows, samples) in oxigraph.items():
        theirs_q = rdflib["queries"].get(name, {})
        other = f"{theirs_q['median_ms']:.1f}" if "median_ms" in theirs_q else theirs_q.get("error", "–")
        p95 = sorted(samples)[int(len(samples) * 0.95) - 1] * 1000
        lines.append(f"| {name} | {rows} | {median_ms(samples)} | {p95:.1f} | {other} |")
    slowest = max(statistics.median(s) for _, s in oxigraph.values()) * 1000
    lines += ["", f"Slowest median on pyoxigraph: {slowest:.1f} ms (targets: every named query under 100 ms, "
              "the label search under 50 ms)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exoowl-bench-import-") as tmp:
        write_section(run(args.records, Path(tmp)), "import")
    print("wrote bench/RESULTS.md", file=sys.stderr)


if __name__ == "__main__":
    main()
