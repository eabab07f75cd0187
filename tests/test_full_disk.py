"""A full disk: the store lives on a small tmpfs (mounted here, as root, as CI runs) that a write
and an import fill. Each fails with a one-line error and the store opens, answers and holds
exactly what it held before; with space again, the same write goes through."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import FIXTURES
from test_cli import run

from exoowl.build import build
from exoowl.config import Settings, load_settings
from exoowl.store import Store, StoreLocation

EX = "http://example.org/"
SIZE_MB = 48


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root, as CI has): {done.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def full(small_disk: Path, tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    """The mini project built onto the small disk, then the disk filled to within ~1 MB."""
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    settings = load_settings({"root": tmp_path / "mini", "store": small_disk / "var" / "store"}, environ={})
    build(settings)
    filler = small_disk / "filler"
    free = shutil.disk_usage(small_disk).free
    with filler.open("wb") as out:
        out.truncate(0)
        out.write(b"\0" * max(free - 1_000_000, 0))
    yield settings, filler


def answers(settings: Settings) -> int:
    store = Store.open(settings.store_path, read_only=True)
    try:
        return int(next(iter(store.query("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")))["n"].value)
    finally:
        store.close()


def big_update(path: Path, triples: int) -> Path:
    path.write_text(
        "INSERT DATA { GRAPH <http://example.org/lab> {\n"
        + "".join(f"<{EX}s{i}> <{EX}p> '{'x' * 200} {i}' .\n" for i in range(triples))
        + "} }"
    )
    return path


def test_a_write_on_a_full_disk_fails_cleanly_and_changes_nothing(full, tmp_path: Path) -> None:
    settings, filler = full
    before, committed = answers(settings), StoreLocation(settings.store_path).current()
    update = big_update(tmp_path / "big.rq", 8000)
    failed = run(settings, "update", "--file", str(update))
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr and failed.stderr.strip().count("\n") == 0, failed.stderr
    assert "space" in failed.stderr.lower()
    assert StoreLocation(settings.store_path).current() == committed and answers(settings) == before
    filler.unlink()
    done = run(settings, "update", "--file", str(update))
    assert done.returncode == 0, done.stderr
    assert answers(settings) == before + 8000


def test_an_import_on_a_full_disk_fails_cleanly_and_changes_nothing(full, tmp_path: Path) -> None:
    settings, _ = full
    before, committed = answers(settings), StoreLocation(settings.store_path).current()
    rows = tmp_path / "cargo.txt"
    with rows.open("w") as out:
        out.write("CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n")
        for i in range(60000):
            out.write(f"{i}\tprotein\t{1000 + i % 5000}\tG{i}\tHuman\t{i % 300}\tMass spectrometry\n")
    failed = run(replace(settings), "import", "exocarta", str(rows))
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "Traceback" not in failed.stderr and "space" in failed.stderr.lower(), failed.stderr
    assert StoreLocation(settings.store_path).current() == committed and answers(settings) == before
