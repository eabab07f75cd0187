"""Mutation testing (cosmic-ray) of the modules that guard the store: `make mutation`.

Not part of `make test`: each mutant runs its module's tests once. Per module, cosmic-ray mutates a
scratch copy of the work tree (var/mutation/tree: the checkout itself is never edited) and runs only
the test files that exercise that module, stopping at the first failure (-x). The copy is imported
first (PYTHONPATH, ahead of the editable install); bytecode is not cached, so a mutant of the same
size as the previous one is never read from a stale .pyc.

    python bench/run_mutation.py [--sample N] [--seed S] [--rerun-survivors] [MODULE ...]

``--sample N`` runs N mutants of each module chosen at random (seeded; the others are marked
skipped and not counted); ``--rerun-survivors`` runs again only the survivors of the module's last
session (after tests were added) and keeps its other results. The summary (mutants, killed,
survived, timeout, score) and each survivor's diff go to var/mutation/<module>.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "var" / "mutation"
TREE = WORK / "tree"
PYTEST = "-m pytest -x -q -p no:cacheprovider"

# module → (file, the test files that exercise it, fast enough to run once per mutant)
MODULES: dict[str, tuple[str, list[str]]] = {
    "sparql_safety": ("src/exoowl/sparql_safety.py", ["tests/test_protocol_safety.py"]),
    "write": ("src/exoowl/write.py", ["tests/test_write_units.py"]),
    "importers": ("src/exoowl/importers.py", ["tests/test_import_rows.py"]),
    "reason": ("src/exoowl/reason.py", ["tests/test_reason.py"]),
    "protocol": ("server/protocol.py", ["tests/test_protocol.py"]),
}
# cosmic-ray's operators that only multiply mutants of one site (11 replacements per binary
# operator, 7 per comparison) or that are random or equivalent here: the rest all run.
EXCLUDED_OPERATORS = [
    r"core/ReplaceBinaryOperator_.*_(Mul|Div|FloorDiv|Mod|Pow|RShift|LShift|BitAnd|BitXor)$",
    r"core/ReplaceComparisonOperator_.*_(Is|IsNot)$",
    r"core/ReplaceComparisonOperator_(Eq|NotEq)_(Lt|Gt)$",
    r"core/ReplaceComparisonOperator_(Lt|LtE|Gt|GtE)_(Eq|NotEq)$",
    r"core/ReplaceUnaryOperator_.*",
    r"core/VariableReplacer",
    r"core/VariableInserter",
    r"core/RemoveDecorator",
]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(TREE / ".mutation-path"), "PYTHONDONTWRITEBYTECODE": "1"}


def copy_tree() -> None:
    """The work tree as it is (uncommitted tests included), without the venv, stores and caches."""
    shutil.rmtree(TREE, ignore_errors=True)
    ignored = shutil.ignore_patterns(
        ".git", ".venv", "var", "node_modules", "__pycache__", ".pytest_cache", ".hypothesis"
    )
    shutil.copytree(ROOT, TREE, ignore=ignored, symlinks=True)
    path = TREE / ".mutation-path"
    path.mkdir()
    (path / "exoowl").symlink_to(TREE / "src" / "exoowl")
    (path / "exoowl_server").symlink_to(TREE / "server")


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=TREE, env=environment(), check=check, capture_output=True, text=True)


def baseline(tests: list[str]) -> float:
    """Seconds the module's tests take unmutated; exits when they do not pass."""
    started = time.perf_counter()
    done = run(sys.executable, *PYTEST.split(), *tests, check=False)
    if done.returncode != 0:
        sys.exit(f"the unmutated tests fail:\n{done.stdout[-3000:]}")
    return time.perf_counter() - started


def write_config(name: str, module: str, tests: list[str], timeout: float) -> Path:
    config = WORK / f"{name}.toml"
    excluded = ", ".join(json.dumps(e) for e in EXCLUDED_OPERATORS)
    config.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{module}"\n'
        f"timeout = {timeout:.0f}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(' '.join([sys.executable, *PYTEST.split(), *tests]))}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n\n'
        f"[cosmic-ray.filters.operators-filter]\nexclude-operators = [{excluded}]\n",
        encoding="utf-8",
    )
    return config


def skip(db: Path, job_ids: list[str], why: str) -> None:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(db), WorkDB.Mode.open) as work_db:
        for job_id in job_ids:
            work_db.set_result(job_id, WorkResult(output=why, worker_outcome=WorkerOutcome.SKIPPED))


def sample(db: Path, size: int, seed: int) -> int:
    """Marks all but ``size`` pending mutants skipped; the number there were."""
    from cosmic_ray.work_db import WorkDB, use_db

    with use_db(str(db), WorkDB.Mode.open) as work_db:
        pending = sorted(item.job_id for item in work_db.pending_work_items)
    if 0 < size < len(pending):
        kept = set(random.Random(seed).sample(pending, size))
        skip(db, [j for j in pending if j not in kept], "not sampled")
    return len(pending)


def reopen_survivors(db: Path) -> int:
    """Forget the survivors' results so that `cosmic-ray exec` runs them again."""
    import sqlite3

    with sqlite3.connect(db) as con:
        return con.execute("DELETE FROM work_results WHERE test_outcome = 'SURVIVED'").rowcount


def summary(name: str, db: Path, candidates: int | None, seconds: float) -> dict:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    counts = {"mutants": 0, "killed": 0, "survived": 0, "timeout": 0, "incompetent": 0}
    survivors = []
    with use_db(str(db), WorkDB.Mode.open) as work_db:
        for item, result in work_db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            counts["mutants"] += 1
            if result.test_outcome == TestOutcome.SURVIVED:
                counts["survived"] += 1
                m = item.mutations[0]
                survivors.append({"operator": m.operator_name, "line": m.start_pos[0], "diff": result.diff})
            elif result.test_outcome == TestOutcome.INCOMPETENT:
                counts["incompetent"] += 1
            elif result.output == "timeout":
                counts["timeout"] += 1
            else:
                counts["killed"] += 1
    detected = counts["killed"] + counts["timeout"] + counts["incompetent"]
    out = {
        "module": name,
        **counts,
        "candidates": candidates,
        "score": round(100 * detected / counts["mutants"], 1) if counts["mutants"] else None,
        "seconds": round(seconds),
        "survivors": sorted(survivors, key=lambda s: s["line"]),
    }
    path = WORK / f"{name}.json"
    if candidates is None and path.exists():  # a re-run keeps the first run's count of candidates
        out["candidates"] = json.loads(path.read_text())["candidates"]
    path.write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--sample", type=int, default=0, help="mutants per module (0: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rerun-survivors", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module {', '.join(unknown)}: choose from {', '.join(MODULES)}")
    copy_tree()
    cosmic = str(Path(sys.executable).with_name("cosmic-ray"))
    for name in args.modules or MODULES:
        module, tests = MODULES[name]
        started = time.perf_counter()
        took = baseline(tests)
        config, db = write_config(name, module, tests, timeout=3 * took + 10), WORK / f"{name}.sqlite"
        candidates = None
        if args.rerun_survivors and db.exists():
            print(f"{name}: running {reopen_survivors(db)} survivors again", flush=True)
        else:
            db.unlink(missing_ok=True)
            run(cosmic, "init", str(config), str(db))
            run(str(Path(sys.executable).with_name("cr-filter-operators")), str(db), str(config))
            candidates = sample(db, args.sample, args.seed)
        print(f"{name}: baseline {took:.1f} s; mutating {module} …", flush=True)
        run(cosmic, "exec", str(config), str(db))
        result = summary(name, db, candidates, time.perf_counter() - started)
        print(json.dumps({k: v for k, v in result.items() if k != "survivors"}), flush=True)
        for s in result["survivors"]:
            print(f"  survived line {s['line']} {s['operator']}\n{s['diff']}")


if __name__ == "__main__":
    main()
