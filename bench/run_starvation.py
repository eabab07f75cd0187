"""Starvation benchmark: a normal client's latency while slow clients flood the endpoint.

The curated graph is built into a temporary store and served by ``exoowl serve`` with its
default lanes and a 10 s query timeout. Slow clients send 3-way cross products (each would run
for hours) again as soon as they are answered (after what Retry-After says, or after 50 ms
ignoring it), from their own loopback addresses, in a process of their own; one normal
client asks ``/health``, the home page, an entity page and a named query in turn. Two
scenarios: 50 slow clients from 50 addresses, and one slow client with 50 connections. Writes
the 'starvation' section of bench/RESULTS.md.

    .venv/bin/python bench/run_starvation.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_core import machine, write_section
from run_http import EXOOWL, free_port, wait_for

from exoowl.build import build
from exoowl.config import load_settings

ROOT = Path(__file__).resolve().parents[1]
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 10
SLOW_CLIENTS = 50


def get(port: int, path: str, source: str, timeout: float = 120) -> tuple[int, float, str]:
    """One request on a new connection from ``source``: status, seconds, Retry-After. A path with
    a query string longer than a request line may be is POSTed as a form."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    headers = {"Accept": "application/sparql-results+json, text/html;q=0.9"}
    try:
        if len(path) > 2000:
            where, form = path.split("?", 1)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request("POST", where, body=form, headers=headers)
        else:
            conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started, response.getheader("Retry-After") or ""
    except OSError:
        return 0, time.monotonic() - started, ""
    finally:
        conn.close()


def named_query_path() -> str:
    text = (ROOT / "queries" / "ev-markers.rq").read_text(encoding="utf-8")
    return "/sparql?" + urllib.parse.urlencode({"query": text})


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def flood(port: int, sources: list[str], seconds: float, polite: bool) -> None:
    """The slow clients, one thread per connection, in this process (the bench runs it as its own
    process, so the normal client's timings do not share an interpreter with 50 threads). Prints
    how many answers of each status came, and how many had Retry-After, as one JSON line."""
    stop = time.monotonic() + seconds
    statuses: collections.Counter[int] = collections.Counter()
    retry_after = 0
    lock = threading.Lock()

    def client(source: str) -> None:
        nonlocal retry_after
        while time.monotonic() < stop:
            status, _, retry = get(port, "/sparql?" + urllib.parse.urlencode({"query": CROSS}), source)
            with lock:
                statuses[status] += 1
                retry_after += bool(retry)
            time.sleep(float(retry) if polite and retry.isdigit() else 0.05)

    threads = [threading.Thread(target=client, args=(source,), daemon=True) for source in sources]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + TIMEOUT * 3)
    print(json.dumps({"statuses": statuses, "retry_after": retry_after}), flush=True)


def scenario(port: int, sources: list[str], seconds: float, polite: bool = True) -> dict[str, object]:
    """Slow clients from ``sources`` (one connection each, in a child process) and the normal
    client, in this process, for ``seconds``."""
    flooding = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--flood",
            str(port),
            "--seconds",
            str(seconds + 2),
            *(["--polite"] if polite else []),
            *sources,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)  # the flood is on
    stop = time.monotonic() + seconds
    paths = ["/health", "/", "/id/marker/CD63", named_query_path()]
    latencies: dict[str, list[float]] = {path: [] for path in paths}
    failures: collections.Counter[str] = collections.Counter()
    load = []
    while time.monotonic() < stop:
        for path in paths:
            status, took, _ = get(port, path, "127.0.0.1")
            latencies[path].append(took)
            if status != 200:
                failures[f"{path.split('?')[0]} {status}"] += 1
        load.append(os.getloadavg()[0])
        time.sleep(0.1)
    out, _ = flooding.communicate(timeout=seconds + TIMEOUT * 5)
    slow = json.loads(out.strip().splitlines()[-1])
    every = [t for samples in latencies.values() for t in samples]
    return {
        "latencies": latencies,
        "every": every,
        "failures": failures,
        "slow": {int(k): v for k, v in slow["statuses"].items()},
        "retry_after": slow["retry_after"],
        "load": statistics.mean(load),
    }


def _failed(failures: object) -> str:
    assert isinstance(failures, collections.Counter)
    return ", ".join(f"{n} ({what})" for what, n in sorted(failures.items())) or "0"


def report(results: dict[str, dict[str, object]], seconds: float) -> str:
    lines = [
        "## Starvation: a normal client while slow queries flood the endpoint",
        "",
        f"Measured by `bench/run_starvation.py` on {machine()}. The curated graph, `exoowl serve` with its defaults "
        "(2 workers × 16 threads; per worker one fast-lane query process and a spare, one slow-lane process, "
        "8 queued, 2 per client) "
        f"and a {TIMEOUT} s query timeout. Slow clients send `{CROSS}` (a 3-way cross product) again as soon as "
        "they are answered (after the Retry-After the answer gives, or after 50 ms ignoring it), from a process of "
        "their own; the normal client asks `/health`, `/`, the CD63 page and the `ev-markers` named query "
        f"in turn, 0.1 s apart, for {seconds:g} s per scenario. Before this design (sync workers, one request each), "
        "50 such clients left `/health` unanswered for about 4 minutes. A client that comes back before its "
        "Retry-After has that connection held unread by the worker until then (`server/worker.py`); "
        "before that hold, the normal client's p99 was 1174.7 ms while 50 clients ignored Retry-After.",
        "",
        "| scenario | normal requests | failed | p50 ms | p95 ms | p99 ms | max ms | slow answers by status | "
        "with Retry-After | mean load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for name, r in results.items():
        every = r["every"]
        assert isinstance(every, list)
        statuses = ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(r["slow"].items()))  # type: ignore[attr-defined]
        lines.append(
            f"| {name} | {len(every)} | {_failed(r['failures'])} | {percentile(every, 0.5) * 1000:.1f} | "
            f"{percentile(every, 0.95) * 1000:.1f} | {percentile(every, 0.99) * 1000:.1f} | {max(every) * 1000:.1f} | "
            f"{statuses} | {r['retry_after']} | {r['load']:.1f} |"
        )
    lines += ["", "Per path of the normal client (p99 ms):", ""]
    lines += [
        "| scenario | " + " | ".join(f"`{p.split('?')[0]}`" for p in results[next(iter(results))]["latencies"]) + " |"
    ]  # type: ignore[attr-defined]
    lines += ["| --- |" + " ---: |" * len(results[next(iter(results))]["latencies"])]  # type: ignore[arg-type]
    for name, r in results.items():
        per = r["latencies"]
        assert isinstance(per, dict)
        lines.append(f"| {name} | " + " | ".join(f"{percentile(s, 0.99) * 1000:.1f}" for s in per.values()) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--flood", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--polite", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("sources", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        flood(args.flood, args.sources, args.seconds, args.polite)
        return
    with tempfile.TemporaryDirectory(prefix="exoowl-bench-starvation-") as tmp:
        settings = load_settings({"store": Path(tmp) / "store"}, environ={})
        build(settings)
        port = free_port()
        env = {**os.environ, "EXOOWL_STORE": str(settings.store_path), "EXOOWL_QUERY_TIMEOUT": str(TIMEOUT)}
        server = subprocess.Popen(
            [EXOOWL, "serve", "--no-build", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/sparql", server)
            time.sleep(3)  # the workers' query processes are started
            many = [f"127.0.0.{2 + n}" for n in range(SLOW_CLIENTS)]
            results = {
                f"{SLOW_CLIENTS} slow clients, one address each, waiting as Retry-After says": scenario(
                    port, many, args.seconds
                ),
                f"{SLOW_CLIENTS} slow clients ignoring Retry-After (again after 50 ms)": scenario(
                    port, many, args.seconds, polite=False
                ),
                f"one slow client, {SLOW_CLIENTS} connections, waiting as Retry-After says": scenario(
                    port, ["127.0.1.2"] * SLOW_CLIENTS, args.seconds
                ),
            }
        finally:
            server.terminate()
            server.wait(60)
    text = report(results, args.seconds)
    print(text)
    write_section(text, "starvation")


if __name__ == "__main__":
    main()
