"""Operating a store: export → restore round trips, `exoowl status`, and kill -9 of a real build,
import and update process mid-way (the store then opens, answers as before, and says what was
interrupted)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_cli import exoowl_env, run

from exoowl.config import Settings, load_settings
from exoowl.errors import InputError
from exoowl.store import Store, StoreLocation
from exoowl.write import Writer, restore

EXOOWL = str(Path(sys.executable).with_name("exoowl"))
EX = "http://example.org/"
ASK_LINE = "ASK { ?line a <https://w3id.org/exoowl/ontology/CellLine> }"


def canonical(path: Path, fmt: ox.RdfFormat) -> set[ox.Quad]:
    """The dataset in a file, blank nodes canonically named: equal sets mean equal datasets."""
    dataset = ox.Dataset(ox.parse(path=str(path), format=fmt))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return set(dataset)


@pytest.mark.parametrize("fmt, suffix", [("nquads", ".nq"), ("trig", ".trig")])
def test_export_then_restore_round_trips_every_graph(
    built_mini: Settings, tmp_path: Path, fmt: str, suffix: str
) -> None:
    Writer(StoreLocation(built_mini.store_path)).update(
        f"INSERT DATA {{ GRAPH <{EX}lab> {{ <{EX}s> <{EX}p> [ <{EX}q> 'blank' ] }} <{EX}d> <{EX}p> 'default' }}"
    )
    first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"
    assert run(built_mini, "export", "--format", fmt, "-o", str(first)).returncode == 0
    target = load_settings({"root": built_mini.root, "store": tmp_path / "restored" / "store"}, environ={})
    restored = run(target, "restore", str(first))
    assert restored.returncode == 0 and f"from {first.name}" in restored.stdout, restored.stderr
    assert run(target, "export", "--format", fmt, "-o", str(second)).returncode == 0
    rdf_format = ox.RdfFormat.N_QUADS if fmt == "nquads" else ox.RdfFormat.TRIG
    assert canonical(first, rdf_format) == canonical(second, rdf_format)
    assert len(canonical(first, rdf_format)) == len(Store.open(built_mini.store_path).db)


def test_a_dump_that_does_not_parse_changes_nothing(built_mini: Settings, tmp_path: Path) -> None:
    location = StoreLocation(built_mini.store_path)
    before = location.current()
    dump = tmp_path / "broken.nq"
    dump.write_text(f"<{EX}s> <{EX}p> <{EX}o> <{EX}g> .\n<{EX}s> <{EX}p> .\n")
    with pytest.raises(InputError, match="line 2"):
        restore(location, dump)
    assert location.current() == before and location.interrupted() == []


def test_status_says_what_is_committed_and_what_was_interrupted(built_mini: Settings) -> None:
    location = StoreLocation(built_mini.store_path)
    leftover = location.new_build()
    scratch = location.builds_dir / ".import-999999999-1.nq"  # a process that cannot exist
    scratch.write_text("")
    result = run(built_mini, "status")
    assert result.returncode == 0, result.stderr
    assert f"committed build: {location.current().name}" in result.stdout
    assert f"interrupted: {leftover.name}" in result.stdout and scratch.name in result.stdout
    Writer(location).update(f"INSERT DATA {{ <{EX}s> <{EX}p> 1 }}")  # the next writer clears both
    assert not leftover.exists() and not scratch.exists()
    assert "interrupted: nothing" in run(built_mini, "status").stdout


def start(settings: Settings, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [EXOOWL, *args], env=exoowl_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def kill_when(process: subprocess.Popen, ready, seconds: float = 120) -> None:
    """kill -9 the process as soon as ``ready()`` holds (it must hold before the process ends)."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, "the process ended before it could be killed mid-way"
        assert time.monotonic() < deadline, "the process never reached the point to kill it at"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def new_build_started(location: StoreLocation, known: set[str]):
    return lambda: any(p.name not in known for p in location.interrupted())


def assert_unchanged_and_reported(settings: Settings, committed: Path) -> None:
    location = StoreLocation(settings.store_path)
    assert location.current() == committed
    assert bool(Store.open(settings.store_path).query(ASK_LINE))
    status = run(settings, "status")
    assert status.returncode == 0 and "interrupted: 20" in status.stdout, status.stdout


def test_kill_9_during_a_build_leaves_the_last_build_serving(built_mini: Settings) -> None:
    location = StoreLocation(built_mini.store_path)
    committed, known = location.current(), {p.name for p in location.builds_dir.iterdir()}
    kill_when(start(built_mini, "build"), new_build_started(location, known))
    assert_unchanged_and_reported(built_mini, committed)
    rebuilt = run(built_mini, "build")
    assert rebuilt.returncode == 0 and "left by an interrupted build or write" in rebuilt.stderr


def test_kill_9_during_an_import_leaves_no_half_imported_graph(built_mini: Settings, tmp_path: Path) -> None:
    source = tmp_path / "cargo.txt"
    rows = "".join(
        f"{i}\tprotein\t{900000000 + i % 5000}\tSYN{i % 5000}\tHomo sapiens\t{i % 50}\tMass spectrometry\n"
        for i in range(1, 200001)
    )
    source.write_text("CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n" + rows)
    location = StoreLocation(built_mini.store_path)
    committed, known = location.current(), {p.name for p in location.builds_dir.iterdir()}
    kill_when(start(built_mini, "import", "exocarta", str(source)), new_build_started(location, known))
    assert_unchanged_and_reported(built_mini, committed)
    assert not any("import" in g for g in Store.open(built_mini.store_path).graphs())


def test_kill_9_during_an_update_leaves_the_store_as_it_was(built_mini: Settings, tmp_path: Path) -> None:
    update = tmp_path / "update.rq"  # large enough that its SHACL gate takes a while
    update.write_text(
        "PREFIX exoowl: <https://w3id.org/exoowl/ontology/>\nINSERT DATA { GRAPH <http://example.org/lab> {\n"
        + "".join(
            f"<{EX}line{i}> a exoowl:CellLine ; exoowl:cellosaurusId 'CVCL_{i % 10000:04d}' .\n" for i in range(40000)
        )
        + "} }"
    )
    location = StoreLocation(built_mini.store_path)
    committed, known = location.current(), {p.name for p in location.builds_dir.iterdir()}
    kill_when(start(built_mini, "update", "--file", str(update)), new_build_started(location, known))
    assert_unchanged_and_reported(built_mini, committed)
    assert not bool(Store.open(built_mini.store_path).query(f"ASK {{ <{EX}line1> ?p ?o }}"))
