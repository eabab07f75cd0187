"""Shared fixtures: a copy of the minimal fixture project, and the real project built once."""

from __future__ import annotations

import contextlib
import gc
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from exoowl.build import build
from exoowl.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"
# File descriptors a whole test run may end with beyond those it started with: what lives as long
# as the process once something started it (an in-process JVM's jars, a lazily opened /dev/urandom).
# A store left open costs 16, so one leaked store fails the run.
FD_ALLOWANCE = 12


def open_fds() -> dict[int, str]:
    """This process's open file descriptors and what each points at."""
    fds = {}
    for name in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the descriptor listdir itself used, closed since
            fds[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    return fds


@pytest.fixture(scope="session", autouse=True)
def no_leaked_file_descriptors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Counts open file descriptors before the first test and after the last (and after every other
    session fixture is torn down); more than FD_ALLOWANCE new ones fail the session."""
    gc.collect()
    before = open_fds()
    yield
    gc.collect()
    after = open_fds()
    grown = {fd: target for fd, target in after.items() if before.get(fd) != target}
    if len(after) - len(before) > FD_ALLOWANCE:
        request.config.stash[LEAKED] = (len(before), len(after), grown)


LEAKED = pytest.StashKey[tuple[int, int, dict[int, str]]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if LEAKED in session.config.stash:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    if LEAKED in config.stash:
        before, after, grown = config.stash[LEAKED]
        terminalreporter.section("file descriptors leaked", red=True)
        terminalreporter.line(
            f"the run started with {before} open file descriptors and ended with {after} "
            f"(allowance {FD_ALLOWANCE}): a store, file or socket was not closed"
        )
        for fd, target in sorted(grown.items())[:40]:
            terminalreporter.line(f"  fd {fd} -> {target}")


@pytest.fixture
def mini(tmp_path: Path) -> Settings:
    """Settings for a private copy of tests/fixtures/mini with its own store."""
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    return load_settings({"root": root, "store": tmp_path / "var" / "store"}, environ={})


@pytest.fixture
def built_mini(mini: Settings) -> Settings:
    build(mini)
    return mini


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real project (ontology, curated data, shapes, queries) built once into a temporary store.

    The root is a copy so that the build's regeneration of the release cannot touch the checkout."""
    base = tmp_path_factory.mktemp("project")
    root = base / "root"
    for part in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / part, root / part)
    settings = load_settings({"root": root, "store": base / "store"}, environ={})
    build(settings)
    return settings


class Listener:
    """A local HTTP server that counts the requests it gets: what an endpoint must not call."""

    def __init__(self) -> None:
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self) -> None:
                hits.append(f"{self.command} {self.path}")
                body = b"<http://x/s> <http://x/p> <http://x/o> ."
                self.send_response(200)
                self.send_header("Content-Type", "application/n-triples")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def copy_of(project: Settings, directory: Path) -> Settings:
    """Settings for a private copy, in ``directory``, of the built project store."""
    from exoowl.store import StoreLocation

    source = StoreLocation(project.store_path).current()
    assert source is not None
    target = directory / "var" / "store"
    shutil.copytree(source, target.with_name("store.d") / source.name)
    target.symlink_to(Path("store.d") / source.name)
    return load_settings({"root": project.root, "store": target}, environ={})


@pytest.fixture
def kg(project: Settings, tmp_path: Path) -> Settings:
    """A private copy of the built project store, for tests that change it (imports)."""
    return copy_of(project, tmp_path)


@pytest.fixture
def http_listener() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """One listener for a module's live server (the per-test one is ``http_listener``)."""
    served = Listener()
    yield served
    served.close()


def served_mini(tmp_path_factory: pytest.TempPathFactory, name: str, **overrides: object) -> Settings:
    """A built private copy of the mini fixture project for a module's live server."""
    base = tmp_path_factory.mktemp(name)
    shutil.copytree(FIXTURES / "mini", base / "mini")
    settings = load_settings({"root": base / "mini", "store": base / "var" / "store", **overrides}, environ={})
    build(settings)
    return settings
