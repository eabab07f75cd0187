"""Where pyoxigraph's SPARQL parser and evaluator overflow the stack (a segfault that ends the
process, so each text runs in a child process, as a gunicorn worker would), and what the safety
policy costs per request. Writes bench/RESULTS.md's 'parser-limits' section.
Run: ``.venv/bin/python bench/run_parser_limits.py`` (a few minutes)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_core import machine, median_ms, write_section

from exoowl.sparql_safety import ENGINE_LIMITS, Policy, analyse

ROOT = Path(__file__).resolve().parents[1]
SIZES = [1000, 2000, 2500, 3000, 5000, 8000, 10000, 20000, 50000]
SHAPES: dict[str, Callable[[int], str]] = {
    "`!` run": lambda n: "ASK { FILTER(" + "!" * n + "true) }",
    "`+` chain": lambda n: "ASK { FILTER(" + "+".join(["1"] * n) + " > 0) }",
    "`\\|\\|` chain": lambda n: "ASK { FILTER(" + "||".join(["true"] * n) + ") }",
    "`1 -1 -1 …`": lambda n: "ASK { FILTER(1 " + " ".join(["-1"] * n) + " > 0) }",
    "BINDs in a group": lambda n: "SELECT * { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(n)) + " }",
    "UNION chain": lambda n: "ASK { " + " UNION ".join(["{}"] * n) + " }",
    "OPTIONALs in a group": lambda n: "ASK { " + " ".join(["OPTIONAL {}"] * n) + " }",
    "`\\|` property path": lambda n: "ASK { ?s " + "|".join(["<p:a>"] * n) + " ?o }",
    "nested `{}`": lambda n: "ASK " + "{" * n + "}" * n,
    "triple patterns in one group": lambda n: "ASK { " + " . ".join(f"?s <p:a{i}> ?o{i}" for i in range(n)) + " }",
}
CHILD = (
    "import pyoxigraph as ox, sys\ntext = sys.stdin.read()\n"
    "try:\n    ox.Store().query(text)\nexcept SyntaxError:\n    pass\n"
)


def crashes(text: str) -> bool | None:
    """True when the child died of a signal, None when it ran past 60 s."""
    try:
        done = subprocess.run([sys.executable, "-c", CHILD], input=text, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    return done.returncode < 0


def first_crash(shape: Callable[[int], str]) -> tuple[str, int]:
    """(the smallest size that crashed or timed out, counted by the policy) — or the largest tried."""
    for size in SIZES:
        outcome = crashes(shape(size))
        if outcome is not False:
            features = analyse(shape(size))
            return (f"{size:,}" if outcome else f"{size:,} (ran past 60 s)"), max(features.deepening, features.patterns)
    return f"none up to {SIZES[-1]:,}", analyse(shape(SIZES[-1])).deepening


def policy_cost() -> list[tuple[str, str]]:
    policy = Policy()
    named = [path.read_text(encoding="utf-8") for path in sorted((ROOT / "queries").glob("*.rq"))]
    data = "INSERT DATA { " + " ".join(f'<http://x/s{i}> <http://x/p> "value {i}" .' for i in range(20000)) + " }"
    rows = []
    for label, run in [
        (
            f"each of the {len(named)} named queries (check + parser confirmation)",
            lambda: [policy.query(text) for text in named],
        ),
        (f"a {len(data) / 1e6:.1f} MB INSERT DATA update", lambda: policy.update(data)),
    ]:
        samples = []
        for _ in range(10):
            started = time.perf_counter()
            run()
            samples.append((time.perf_counter() - started) / (len(named) if "named" in label else 1))
        rows.append((label, median_ms(samples)))
    return rows


def main() -> None:
    lines = [
        "## Parser limits: where pyoxigraph crashes, and what the safety checks cost",
        "",
        f"Measured by `bench/run_parser_limits.py` on {machine()}. Each text runs in a child process "
        "(a stack overflow is a segfault: it ends the process, as it would end a gunicorn worker). "
        f"The policy refuses a request before pyoxigraph sees it past {ENGINE_LIMITS.max_nesting} nested "
        f"brackets, {ENGINE_LIMITS.max_deepening:,} operators and group elements ('counted') or "
        f"{ENGINE_LIMITS.max_patterns} triple patterns (the last row: pyoxigraph's planner, not a crash).",
        "",
        "| shape | first size that crashed | counted at that size | refused |",
        "| --- | ---: | ---: | --- |",
    ]
    for name, shape in SHAPES.items():
        at, counted = first_crash(shape)
        size = int(at.split()[0].replace(",", "")) if at[0].isdigit() else SIZES[-1]
        features = analyse(shape(size))
        refused = (
            features.deepening > ENGINE_LIMITS.max_deepening
            or features.nesting > ENGINE_LIMITS.max_nesting
            or features.patterns > ENGINE_LIMITS.max_patterns
        )
        lines.append(f"| {name} | {at} | {counted:,} | {'yes' if refused else 'no'} |")
        print(lines[-1], flush=True)
    lines += ["", "| safety check | median ms |", "| --- | ---: |"]
    lines += [f"| {label} | {ms} |" for label, ms in policy_cost()]
    write_section("\n".join(lines) + "\n", "parser-limits")
    print("\n".join(lines[-4:]))


if __name__ == "__main__":
    main()
