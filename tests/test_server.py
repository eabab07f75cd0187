"""The SPARQL endpoint: Flask test client for units, a real gunicorn server on an ephemeral port."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from exoowl.config import Settings
from exoowl_server import create_app


@pytest.fixture
def client(built_mini: Settings):
    return create_app(built_mini).test_client()


def test_ask_over_get(client) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 200 and response.json == {"head": {}, "boolean": True}


def test_select_over_form_post_as_csv(client) -> None:
    response = client.post("/sparql", data={"query": "SELECT ?l WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l"},
                           headers={"Accept": "text/csv"})
    assert response.mimetype == "text/csv" and response.data.decode().splitlines()[1] == "A-549"


def test_construct_as_turtle(client) -> None:
    response = client.post("/sparql", data="CONSTRUCT { ?s a ?o } WHERE { ?s a ?o } LIMIT 1",
                           headers={"Content-Type": "application/sparql-query", "Accept": "text/turtle"})
    assert response.status_code == 200 and response.mimetype == "text/turtle"


def test_malformed_query_is_a_400_problem(client) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "malformed SPARQL" in response.json["detail"]


def test_missing_query_is_a_400_problem(client) -> None:
    assert client.get("/sparql").status_code == 400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_exoowl_serve_answers_ask_on_a_real_port(mini: Settings) -> None:
    port = free_port()
    env = {**os.environ, "EXOOWL_ROOT": str(mini.root), "EXOOWL_STORE": str(mini.store_path)}
    server = subprocess.Popen([str(Path(sys.executable).with_name("exoowl")), "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.3)
        assert response.status_code == 200 and response.json()["boolean"] is True
    finally:
        server.terminate()
        server.wait(timeout=30)
