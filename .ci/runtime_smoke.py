"""CI, before the test suite: the runtime dependencies alone, installed into a clean virtual
environment by the Makefile, build and serve the knowledge graph. The server is asked ``ASK {}``,
a named query and a token-carrying update (then read back), and stopped. Standard library only:
it runs with the machine's python3, outside any project environment."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ".ci-runtime-venv"  # relative to ROOT, as the Makefile's VENV
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make(*targets: str, env: dict[str, str]) -> None:
    print(f"runtime smoke: make VENV={VENV} {' '.join(targets)}", flush=True)
    subprocess.run(["make", f"VENV={VENV}", *targets], cwd=ROOT, env=env, check=True)


def post(url: str, form: dict[str, str], token: str | None = None) -> dict:
    headers = {"Accept": "application/sparql-results+json, application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"runtime smoke: the server exited with {server.returncode} before answering")
        try:
            with urllib.request.urlopen(base + "/health", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("runtime smoke: the server did not answer /health")


def check(server_base: str, token: str) -> None:
    sparql = server_base + "/sparql"
    assert post(sparql, {"query": "ASK {}"})["boolean"] is True, "ASK {} is not true"
    named = (ROOT / "queries" / "ev-markers.rq").read_text(encoding="utf-8")
    rows = post(sparql, {"query": named})["results"]["bindings"]
    assert rows, "the named query ev-markers answered no rows"
    subject = f"urn:exoowl:ci/{secrets.token_hex(4)}"
    update = f'INSERT DATA {{ GRAPH <urn:exoowl:ci> {{ <{subject}> <{LABEL}> "runtime smoke" }} }}'
    assert post(sparql, {"update": update}, token)["status"] == "committed", "the update was not committed"
    assert post(sparql, {"query": f"ASK {{ <{subject}> <{LABEL}> ?label }}"})["boolean"] is True, (
        "the written triple cannot be read back"
    )
    print(f"runtime smoke: ASK, named query ({len(rows)} rows), update and read-back answered", flush=True)


def main() -> int:
    shutil.rmtree(ROOT / VENV, ignore_errors=True)
    scratch = Path(tempfile.mkdtemp(prefix="exoowl-ci-"))
    port, token = free_port(), secrets.token_urlsafe(24)
    env = {**os.environ, "EXOOWL_STORE": str(scratch / "store"), "EXOOWL_UPDATE_TOKEN": token}
    try:
        make("install", env=env)
        make("build", env=env)
        print(f"runtime smoke: make VENV={VENV} serve PORT={port}", flush=True)
        server = subprocess.Popen(
            ["make", f"VENV={VENV}", "serve", f"PORT={port}"], cwd=ROOT, env=env, start_new_session=True
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, server)
            check(base, token)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(ROOT / VENV, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
