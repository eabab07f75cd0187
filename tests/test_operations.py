"""Operating a store: export → restore round trips, `exoowl status`, and kill -9 of a real build,
import and update process and of a server writing, mid-way (the store then opens, answers as before, and says what was
interrupted)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from test_cli import exoowl_env, run
from test_server import WRITE_TOKEN, start_server, stop

from exoowl.config import Settings, load_settings
from exoowl.errors import InputError
from exoowl.namespaces import GRAPH_REVIEW
from exoowl.store import DATABASE, Store, StoreLocation
from exoowl.write import Writer, graph_sizes, restore

EXOOWL = str(Path(sys.executable).with_name("exoowl"))
ROOT = Path(__file__).resolve().parents[1]
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


def start(settings: Settings, *args: str, stderr: Path | None = None) -> subprocess.Popen:
    """The real ``exoowl`` command; its progress lines go to ``stderr`` when given."""
    with stderr.open("w") if stderr else open(os.devnull, "w") as err:
        return subprocess.Popen([EXOOWL, *args], env=exoowl_env(settings), stdout=subprocess.DEVNULL, stderr=err)


def kill_when(
    process: subprocess.Popen, ready, seconds: float = 120, after: float = 0.0, signal_tree: bool = False
) -> None:
    """kill -9 the process as soon as ``ready()`` holds (it must hold before the process ends), or
    ``after`` seconds later; it must still be running when killed. With ``signal_tree``, every
    process below it is killed in the same instant (a server's workers), children first."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, "the process ended before it could be killed mid-way"
        assert time.monotonic() < deadline, "the process never reached the point to kill it at"
        time.sleep(0.005)
    time.sleep(after)
    assert process.poll() is None, f"the process ended within {after} s of the point to kill it at"
    for pid in reversed(process_tree(process.pid)) if signal_tree else [process.pid]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL


def new_build_started(location: StoreLocation, known: set[str]):
    return lambda: any(p.name not in known for p in location.interrupted())


def assert_unchanged_and_reported(settings: Settings, committed: Path) -> None:
    location = StoreLocation(settings.store_path)
    assert location.current() == committed
    with Store.open(settings.store_path) as store:
        assert bool(store.query(ASK_LINE))
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


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (gunicorn's arbiter, its workers, their query processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def test_kill_9_of_the_server_during_a_write_leaves_the_store_as_it_was(built_mini: Settings) -> None:
    update = (
        "PREFIX exoowl: <https://w3id.org/exoowl/ontology/>\nINSERT DATA { GRAPH <http://example.org/lab> {\n"
        + "".join(f"<{EX}line{i}> a exoowl:CellLine ; exoowl:cellosaurusId 'CVCL_{i:04d}' .\n" for i in range(10000))
        + "} }"
    )
    location = StoreLocation(built_mini.store_path)
    committed, known = location.current(), {p.name for p in location.builds_dir.iterdir()}
    server, url = start_server(built_mini, "--no-build", "--workers", "1", token=WRITE_TOKEN)
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/sparql-update"}

    def write() -> None:
        with contextlib.suppress(requests.RequestException):  # the server dies under it
            requests.post(url, data=update.encode(), headers=headers, timeout=60)

    writing = threading.Thread(target=write, daemon=True)
    try:
        writing.start()
        kill_when(server, new_build_started(location, known), after=0.05, signal_tree=True)
    finally:
        for pid in process_tree(server.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    writing.join(60)
    assert_unchanged_and_reported(built_mini, committed)
    with Store.open(built_mini.store_path) as store:
        assert not bool(store.query(f"ASK {{ <{EX}line1> ?p ?o }}"))
    server, url = start_server(built_mini, "--no-build", "--workers", "1", token=WRITE_TOKEN)
    try:  # served again, and the same write then goes through
        assert requests.get(url, params={"query": ASK_LINE}, timeout=30).json()["boolean"] is True
        assert requests.post(url, data=update.encode(), headers=headers, timeout=120).status_code == 200
        assert requests.get(url, params={"query": f"ASK {{ <{EX}line1> ?p ?o }}"}, timeout=30).json()["boolean"]
    finally:
        stop(server)


# Killed at the dangerous moments --------------------------------------------------------------
# The tests above kill at the first sign of a new build directory. These kill a real `exoowl
# import` while pyoxigraph's bulk loader is writing into its copy of the store, and a real `exoowl
# build` while it validates, reasons and loads, at several points each. After every kill the store
# must open read-only, answer, hold exactly what it held before (or, had the commit happened, after)
# graph by graph and as its manifest says, `exoowl status` must say that something was interrupted
# (unless the run had committed), and the next run of the same command must succeed and leave
# nothing behind. Checked to fail: with the new build swapped in before it is made, the import and
# the loading-built-graphs kills find a state that is neither before nor after.


def graph_state(settings: Settings) -> dict[str, object]:
    """The committed state: the triples of every graph (``default``: the default graph), counted in
    the store opened read-only, and what its manifest says of it (the sizes it records must be those
    counted; writes since the build, imports, build inputs, restore)."""
    with Store.open(settings.store_path) as store:
        assert bool(store.query(ASK_LINE))
        sizes = graph_sizes(store)
    manifest = StoreLocation(settings.store_path).manifest()
    assert manifest["graphs"] == {g: sizes.get(g, 0) for g in manifest["graphs"]}, "the manifest is not the store's"
    said = {key: manifest.get(key) for key in ("writes", "inputs", "restored_from")}
    return {"graphs": sizes, "imports": sorted(manifest.get("imports", {})), **said}


class Progress:
    """What a running `exoowl` shows from outside: its progress lines and the new build directory
    (and pyoxigraph's files in it) that it writes beside the committed ones."""

    def __init__(self, settings: Settings, stderr: Path) -> None:
        self.location, self.stderr = StoreLocation(settings.store_path), stderr
        self.known = {p.name for p in self.location.builds_dir.iterdir()}
        self.bulk_seen: set[str] = set()

    def said(self, text: str) -> bool:
        return text in self.stderr.read_text(encoding="utf-8", errors="replace")

    def databases(self) -> list[Path]:
        """The databases of new builds, once opened read-write (RocksDB's LOCK file is there)."""
        new = [p for p in self.location.builds_dir.iterdir() if p.is_dir() and p.name not in self.known]
        return [p / DATABASE for p in new if (p / DATABASE / "LOCK").exists()]

    def bulk_files(self) -> set[str]:
        """The SST files pyoxigraph's bulk loader has written and not yet ingested."""
        names = {f.name for db in self.databases() for f in db.glob("bulk-*.sst")}
        self.bulk_seen |= names
        return names

    def reading(self) -> bool:
        """The import is streaming rows to its scratch file (more than 1 MB of N-Quads so far)."""
        scratch = list(self.location.builds_dir.glob(".import-*.nq"))
        return any(p.stat().st_size > 1_000_000 for p in scratch if p.exists()) and not self.databases()

    def loading(self) -> bool:
        """The copy is open read-write and the bulk loader parses (no SST file written yet)."""
        return bool(self.databases()) and not self.bulk_files()

    def ingesting(self) -> bool:
        """The loader has moved some of its SST files into the database."""
        return bool(self.bulk_seen - self.bulk_files())


IMPORT_POINTS = {
    "reading-rows": (Progress.reading, 0.0),
    "bulk-loader-parsing": (Progress.loading, 0.0),
    "bulk-loader-parsing+0.3s": (Progress.loading, 0.3),
    "first-sst-file-written": (lambda w: len(w.bulk_files()) >= 1, 0.0),
    "four-sst-files-written": (lambda w: len(w.bulk_files()) >= 4, 0.0),
    "sst-files-being-ingested": (Progress.ingesting, 0.0),
}


@pytest.fixture(scope="module")
def vesiclepedia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Vesiclepedia-shaped download (bench/generate_vesiclepedia.py) whose bulk load takes seconds."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from generate_vesiclepedia import generate
    finally:
        sys.path.remove(str(ROOT / "bench"))
    path = tmp_path_factory.mktemp("vesiclepedia") / "VESICLEPEDIA_PROTEIN_MRNA_DETAILS_5.1.txt"
    generate(path, IMPORT_RECORDS)
    return path


IMPORT_RECORDS = 25_000  # about 290,000 triples: the bulk load takes 3 s to 10 s here


@pytest.mark.parametrize("point", IMPORT_POINTS)
def test_kill_9_in_the_middle_of_an_import(
    built_mini: Settings, vesiclepedia: Path, tmp_path: Path, point: str
) -> None:
    before = graph_state(built_mini)
    progress, (ready, after) = Progress(built_mini, tmp_path / "stderr"), IMPORT_POINTS[point]
    importing = start(built_mini, "import", "vesiclepedia", str(vesiclepedia), stderr=progress.stderr)
    kill_when(importing, lambda: ready(progress), after=after)
    killed, status = graph_state(built_mini), run(built_mini, "status")

    again = run(built_mini, "import", "vesiclepedia", str(vesiclepedia))
    assert again.returncode == 0, again.stderr
    imported = graph_state(built_mini)
    assert_whole(point, before, killed, imported, status)
    assert_nothing_left(built_mini)


RESTORE_POINTS = {name: IMPORT_POINTS[name] for name in ("bulk-loader-parsing", "first-sst-file-written")}
RESTORE_POINTS["sst-files-being-ingested"] = IMPORT_POINTS["sst-files-being-ingested"]


@pytest.mark.parametrize("point", RESTORE_POINTS)
def test_kill_9_in_the_middle_of_a_restore(built_mini: Settings, tmp_path: Path, point: str) -> None:
    dump = tmp_path / "dump.nq"  # the store's own export and a large graph: the bulk load takes seconds
    assert run(built_mini, "export", "--format", "nquads", "-o", str(dump)).returncode == 0
    with dump.open("a", encoding="utf-8") as out:
        out.writelines(f'<{EX}s{i}> <{EX}p{i % 7}> "{i}" <{EX}big> .\n' for i in range(300_000))
    before = graph_state(built_mini)
    progress, (ready, after) = Progress(built_mini, tmp_path / "stderr"), RESTORE_POINTS[point]
    kill_when(start(built_mini, "restore", str(dump), stderr=progress.stderr), lambda: ready(progress), after=after)
    killed, status = graph_state(built_mini), run(built_mini, "status")

    again = run(built_mini, "restore", str(dump))
    assert again.returncode == 0, again.stderr
    restored = graph_state(built_mini)
    assert_whole(point, before, killed, restored, status)
    assert_nothing_left(built_mini)


BUILD_POINTS = {
    "validating": (lambda w: w.said("validate …"), 0.0),
    "reasoning-hermit": (lambda w: w.said("hermit …"), 0.0),
    "reasoning-hermit+0.3s": (lambda w: w.said("hermit …"), 0.3),
    "materialising-owl2rl": (lambda w: w.said("owl2rl …"), 0.0),
    "checkpointing": (lambda w: w.said("store …"), 0.0),
    "loading-built-graphs": (lambda w: bool(w.databases()), 0.0),
}


@pytest.mark.parametrize("point", BUILD_POINTS)
def test_kill_9_in_the_middle_of_a_build(built_mini: Settings, tmp_path: Path, point: str) -> None:
    # A write to the review graph, which a build makes anew: before and after differ
    Writer(StoreLocation(built_mini.store_path)).update(
        f"INSERT DATA {{ GRAPH <{GRAPH_REVIEW}> {{ <{EX}note> <{EX}says> 'written before the build' }} }}"
    )
    before = graph_state(built_mini)
    progress, (ready, after) = Progress(built_mini, tmp_path / "stderr"), BUILD_POINTS[point]
    kill_when(start(built_mini, "build", stderr=progress.stderr), lambda: ready(progress), after=after)
    killed, status = graph_state(built_mini), run(built_mini, "status")

    again = run(built_mini, "build")
    assert again.returncode == 0, again.stderr
    built = graph_state(built_mini)
    assert_whole(point, before, killed, built, status)
    assert killed != before or "did not finish" in again.stderr, again.stderr
    assert_nothing_left(built_mini)


def assert_whole(point: str, before: dict, killed: dict, after: dict, status: subprocess.CompletedProcess) -> None:
    """The killed run left the state before it or the state after it; `exoowl status` said what was
    interrupted unless the run had committed (it may have been killed after letting the lock go)."""
    assert after != before and killed in (before, after), f"killed at {point}: a state neither before nor after"
    assert status.returncode == 0, status.stderr
    if killed == before:
        assert "interrupted: nothing" not in status.stdout, status.stdout
        assert "ended without finishing" in status.stdout or "import scratch file" in status.stdout, status.stdout


def assert_nothing_left(settings: Settings) -> None:
    location = StoreLocation(settings.store_path)
    assert location.interrupted() == [] and location.orphaned_scratch() == [] and location.unfinished() is None
    assert not list(location.builds_dir.glob(".import-*")), "a scratch file is left"
    assert "interrupted: nothing" in run(settings, "status").stdout
