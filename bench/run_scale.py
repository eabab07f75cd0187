"""Scale: the real downloads and a generated million-record file imported into one store, then every
named query, the label search and entity pages at that size.

Each import runs `exoowl import` in a child process (wall time, peak memory: imports then reassess
the MISEV rigour of the experiments the file names; the smallest file is imported again at the end);
the store's imported graphs are then exported and bulk-loaded by pyoxigraph into an empty store for
comparison. Named queries (their first example's parameters) and the label search run in-process on
pyoxigraph; entity pages are asked of a real `exoowl serve`. Writes the 'scale' section of
bench/RESULTS.md.

    .venv/bin/python bench/run_scale.py REAL_FILE... [--exocarta FILE] [--records 1000000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate_vesiclepedia import generate
from run_core import machine, median_ms, p95_ms, write_section
from run_http import EXOOWL, serve_exoowl, stop_process, workload
from run_import import measured, search_queries, timed_queries, variants

from exoowl.api import KnowledgeGraph
from exoowl.build import build
from exoowl.config import load_settings
from exoowl.store import Store, StoreLocation

BULK_LOAD = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)
store.flush()
"""
PAGES = (
    "/id/gene/967",
    "/id/marker/CD63",
    "/id/mirna/MIMAT0000076",
    "/id/vesiclepedia/experiment/21",
    "/id/exocarta/experiment/212",
)
PAGE_RUNS = 20


def import_all(store: Path, files: list[tuple[str, Path]]) -> list[dict[str, object]]:
    os.environ["EXOOWL_STORE"] = str(store)  # for the child processes
    rows = []
    for source, path in files:
        figures = measured(EXOOWL, "import", source, str(path), "--max-rejected", "0.01")
        manifest = StoreLocation(store).manifest()
        graph = next(g for g, v in manifest["imports"].items() if v["file"] == path.name)
        triples = manifest["imports"][graph]["triples"]
        rows.append({"file": path.name, "triples": triples, **figures})
        print(f"{path.name}: {triples} triples in {figures['seconds']:.1f} s", flush=True)
    return rows


def pages(store: Path) -> dict[str, list[float]]:
    process, url = serve_exoowl(store, workers=2)
    base = url.rsplit("/sparql", 1)[0]
    timings: dict[str, list[float]] = {}
    try:
        for path in PAGES:
            samples = []
            for run in range(PAGE_RUNS + 1):
                request = urllib.request.Request(base + path, headers={"Accept": "text/html"})
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=120) as answer:
                        answer.read()
                except urllib.error.HTTPError:
                    samples = []  # no such entity in this store
                    break
                if run:  # the first is a warm-up
                    samples.append(time.perf_counter() - started)
            timings[path] = samples
    finally:
        stop_process(process)
    return timings


# the rigour listing's other pages and filters (its first example asks for exoowl:Exosome)
RIGOUR = [
    {},
    {"min_score": "3"},
    {"from_rank": "1001"},
    {"vesicle_type": "exoowl:SmallEVReportedAsExosome", "from_rank": "501"},
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="Vesiclepedia downloads")
    parser.add_argument("--exocarta", type=Path, action="append", default=[])
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="exoowl-bench-scale-") as tmp:
        work = Path(tmp)
        settings = load_settings({"store": work / "store"}, environ={})
        build(settings)
        generated = work / "VESICLEPEDIA_PROTEIN_MRNA_DETAILS_generated.txt"
        generate(generated, args.records)
        files = [("vesiclepedia", p) for p in args.files] + [("exocarta", p) for p in args.exocarta]
        imports = import_all(settings.store_path, [*files, ("vesiclepedia", generated)])
        smallest = min(files, key=lambda f: f[1].stat().st_size)  # again, into the full store: MISEV is
        again = import_all(settings.store_path, [smallest])[0]  # reassessed for its experiments only
        exported = work / "imports.nq"
        with Store.open(settings.store_path) as store:
            store.export(exported, "nquads")
            total = len(store.db)
        bulk = measured(sys.executable, "-c", BULK_LOAD, str(work / "bulk"), str(exported))
        with Store.open(settings.store_path) as store:
            kg = KnowledgeGraph(settings, store)
            listed = workload(kg) + search_queries(kg) + variants(kg, "experiments-by-rigour", RIGOUR)
            queries = timed_queries(kg, listed)
        page_times = pages(settings.store_path)
    imported = sum(int(str(r["triples"])) for r in imports)
    seconds = sum(float(str(r["seconds"])) for r in imports)
    lines = [
        "## Scale: the real downloads and a million generated records in one store",
        "",
        f"Measured by `bench/run_scale.py` on {machine()}: the real downloads of the 'real-data' section and "
        f"{args.records:,} generated Vesiclepedia-shaped records (`bench/generate_vesiclepedia.py`), imported one "
        f"after the other into one store built from the curated graph; the store then holds {total:,} triples. "
        "Each import is `exoowl import` in a child process: read, map, bulk-load into a checkpoint, reassess the "
        "MISEV rigour of the experiments the file names, commit.",
        "",
        "| file | triples | wall s | peak memory | triples/s |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in imports:
        triples, wall, peak = int(str(row["triples"])), float(str(row["seconds"])), int(str(row["peak_kib"]))
        lines.append(f"| {row['file']} | {triples:,} | {wall:.1f} | {peak / 1024**2:.2f} GiB | {triples / wall:,.0f} |")
    lines += [
        f"| all imports | {imported:,} | {seconds:.1f} | – | {imported / seconds:,.0f} |",
        f"| pyoxigraph `bulk_load` of the whole store's N-Quads ({total:,}), empty store | {total:,} | "
        f"{bulk['seconds']:.1f} | {bulk['peak_kib'] / 1024**2:.2f} GiB | {total / bulk['seconds']:,.0f} |",
        f"| {again['file']} again, into the full store (its experiments' MISEV reassessed) | {again['triples']:,} | "
        f"{float(str(again['seconds'])):.1f} | {int(str(again['peak_kib'])) / 1024**2:.2f} GiB | – |",
        "",
        f"Every named query with its first example's parameters, the label search and other pages of the rigour "
        f"listing, in-process on that store "
        f"(after one run, {30} runs each; target: median under 100 ms):",
        "",
        "| query | rows | median ms | p95 ms |",
        "| --- | ---: | ---: | ---: |",
    ]
    slow = []
    for name, (rows, samples) in queries.items():
        lines.append(f"| {name} | {rows} | {median_ms(samples)} | {p95_ms(samples)} |")
        if float(median_ms(samples)) >= 100:
            slow.append(name)
    lines += [
        "",
        f"Named queries with a median of 100 ms or more: {', '.join(slow) if slow else 'none'}.",
        "",
        f"Entity pages (HTML) from `exoowl serve` (2 workers) on that store, after a warm-up, {PAGE_RUNS} requests "
        "each:",
        "",
        "| page | median ms | p95 ms |",
        "| --- | ---: | ---: |",
    ]
    for path, samples in page_times.items():
        lines.append(
            f"| `{path}` | {median_ms(samples) if samples else 'not found'} | {p95_ms(samples) if samples else '–'} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(text, "scale")


if __name__ == "__main__":
    main()
