"""The SPARQL endpoint: Flask test client for units, a real gunicorn server on an ephemeral port."""

from __future__ import annotations

import concurrent.futures
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from test_cli import exoowl_env

from exoowl.config import Settings
from exoowl_server import create_app


@pytest.fixture
def client(built_mini: Settings):
    return create_app(built_mini).test_client()


def test_ask_over_get(client) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 200 and response.json == {"head": {}, "boolean": True}


def test_select_over_form_post_as_csv(client) -> None:
    response = client.post(
        "/sparql",
        data={"query": "SELECT ?l WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l"},
        headers={"Accept": "text/csv"},
    )
    assert response.mimetype == "text/csv" and response.data.decode().splitlines()[1] == "A-549"


def test_construct_as_turtle(client) -> None:
    response = client.post(
        "/sparql",
        data="CONSTRUCT { ?s a ?o } WHERE { ?s a ?o } LIMIT 1",
        headers={"Content-Type": "application/sparql-query", "Accept": "text/turtle"},
    )
    assert response.status_code == 200 and response.mimetype == "text/turtle"


def test_malformed_query_is_a_400_problem(client) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert "malformed SPARQL" in response.json["detail"]


def test_landing_page_lists_graphs_and_named_queries(client) -> None:
    page = client.get("/").data.decode()
    assert "https://w3id.org/exoowl/graph/review" in page and "problem-findings" in page


def test_release_download(client, built_mini: Settings) -> None:
    response = client.get("/ontology/exoowl.owl")
    assert response.status_code == 200 and response.data == built_mini.release_file.read_bytes()


def test_metrics_count_requests_and_report_store_size(client) -> None:
    client.get("/sparql", query_string={"query": "ASK {}"})
    text = client.get("/metrics").data.decode()
    assert 'exoowl_http_requests_total{endpoint="/sparql",method="GET",status="200"}' in text
    assert "exoowl_http_request_duration_seconds_bucket" in text
    assert 'exoowl_store_triples{graph="https://w3id.org/exoowl/graph/review"}' in text


def test_missing_query_is_a_400_problem(client) -> None:
    # GET /sparql without a query answers the service description (tests/test_protocol.py)
    assert client.post("/sparql", data={"format": "json"}).status_code == 400


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    settings: Settings, *args: str, token: str | None = None, logs: bool | Path = False
) -> tuple[subprocess.Popen, str]:
    """``exoowl serve`` on an ephemeral port (writes enabled when ``token`` is given; ``logs`` keeps
    its access log on stdout for the test to read, or, a path, writes its whole log there: a pipe
    nobody reads would stop the server once full)."""
    port = free_port()
    log_file = logs.open("wb") if isinstance(logs, Path) else None
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("exoowl")), "serve", "--port", str(port), *args],
        env=exoowl_env(settings, token),
        stderr=log_file or subprocess.PIPE,
        stdout=log_file or (subprocess.PIPE if logs else subprocess.DEVNULL),
    )
    url = f"http://127.0.0.1:{port}/sparql"
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(url, params={"query": "ASK {}"}, timeout=5)
            return server, url
        except requests.ConnectionError as error:
            if server.poll() is not None:
                raise AssertionError(
                    logs.read_text() if isinstance(logs, Path) else server.stderr.read().decode()
                ) from error
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=30)


def test_exoowl_serve_builds_and_answers_ask_on_a_real_port(mini: Settings) -> None:
    assert not mini.store_path.exists()
    server, url = start_server(mini)
    try:
        response = requests.get(url, params={"query": "ASK {}"}, timeout=10)
        assert response.status_code == 200 and response.json()["boolean"] is True
    finally:
        stop(server)


RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"


def test_query_timeout_stops_a_runaway_query_while_others_are_answered(built_mini: Settings) -> None:
    server, url = start_server(built_mini, "--query-timeout", "2", "--workers", "2")
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            runaway = pool.submit(requests.get, url, params={"query": RUNAWAY}, timeout=60)
            time.sleep(0.5)
            quick = requests.get(url, params={"query": "ASK {}"}, timeout=10)
            assert quick.status_code == 200 and quick.elapsed.total_seconds() < 2
            stopped = runaway.result(timeout=60)
            assert stopped.status_code == 503 and stopped.headers["Content-Type"] == "application/problem+json"
            assert "query timeout of 2 s" in stopped.json()["detail"]
            assert time.monotonic() - started < 6
        after = requests.get(url, params={"query": "ASK {}"}, timeout=10)
        assert after.status_code == 200
        metrics = requests.get(url.replace("/sparql", "/metrics"), timeout=10).text
        assert "exoowl_query_timeouts_total 1.0" in metrics
        assert 'endpoint="/sparql",method="GET",status="200"' in metrics
    finally:
        stop(server)


WRITE_TOKEN = "a-server-test-token-0123456789"


def test_writes_from_concurrent_clients_are_all_kept_and_every_worker_reads_them(built_mini: Settings) -> None:
    server, url = start_server(built_mini, "--workers", "2", token=WRITE_TOKEN)
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/sparql-update"}

    def insert(i: int) -> int:
        update = (
            "INSERT DATA { GRAPH <http://example.org/lab> "
            f"{{ <http://example.org/s{i}> <http://example.org/p> {i} }} }}"
        )
        return requests.post(url, data=update, headers=headers, timeout=60).status_code

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert set(pool.map(insert, range(32))) == {200}
        count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/lab> { ?s ?p ?o } }"
        for _ in range(12):  # answered by both workers in turn
            answer = requests.get(url, params={"query": count}, timeout=10).json()
            assert answer["results"]["bindings"][0]["n"]["value"] == "32"
    finally:
        stop(server)


def test_soak_sixteen_clients_read_and_write_at_once_and_nothing_is_lost_or_half_seen(built_mini: Settings) -> None:
    """A bounded soak: 4 writers and 12 readers on loopback, about three thousand requests. Each write
    adds two triples in one update; a reader that ever counted them unequal saw half an update."""
    server, url = start_server(built_mini, "--workers", "2", token=WRITE_TOKEN)
    headers = {"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/sparql-update"}
    lab, ex = "http://example.org/soak", "http://example.org/"
    count = (
        f"SELECT (COUNT(?x) AS ?a) (COUNT(?y) AS ?b) WHERE {{ GRAPH <{lab}> "
        f"{{ {{ ?s <{ex}a> ?x }} UNION {{ ?s <{ex}b> ?y }} }} }}"
    )

    def writer(w: int) -> list[int]:
        session, acknowledged = requests.Session(), []
        for i in range(50):
            n = w * 1000 + i
            update = f"INSERT DATA {{ GRAPH <{lab}> {{ <{ex}s{n}> <{ex}a> {n} ; <{ex}b> {n} }} }}"
            response = session.post(url, data=update, headers=headers, timeout=60)
            assert response.status_code == 200, response.text
            acknowledged.append(n)
        return acknowledged

    def reader(_: int) -> int:
        session, answered = requests.Session(), 0
        for _ in range(230):
            row = session.get(url, params={"query": count}, timeout=60).json()["results"]["bindings"][0]
            assert row["a"]["value"] == row["b"]["value"], f"half an update seen: {row}"
            answered += 1
        return answered

    try:
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            writes = [pool.submit(writer, w) for w in range(4)]
            reads = [pool.submit(reader, r) for r in range(12)]
            acknowledged = [n for f in writes for n in f.result()]
            answered = sum(f.result() for f in reads)
        assert answered + len(acknowledged) == 12 * 230 + 4 * 50  # about three thousand requests, none failed
        present = requests.get(
            url, params={"query": f"SELECT ?s WHERE {{ GRAPH <{lab}> {{ ?s <{ex}a> ?x }} }}"}, timeout=30
        ).json()["results"]["bindings"]
        assert {b["s"]["value"] for b in present} == {f"{ex}s{n}" for n in acknowledged}
    finally:
        stop(server)


def test_the_update_token_never_reaches_the_logs_and_a_short_one_stops_the_server(built_mini: Settings) -> None:
    server, url = start_server(built_mini, "--no-build", "--workers", "1", token=WRITE_TOKEN, logs=True)
    try:
        for token in (WRITE_TOKEN, WRITE_TOKEN + "-wrong", "short"):
            requests.post(
                url,
                data="INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/sparql-update"},
                timeout=30,
            )
        requests.post(
            url,
            data="CLEAR XYZ",
            headers={"Authorization": f"Bearer {WRITE_TOKEN}", "Content-Type": "application/sparql-update"},
            timeout=30,
        )
        # a client that puts a token in the URL: it is not taken, and not logged either
        requests.get(url, params={"query": "ASK {}", "access_token": WRITE_TOKEN}, timeout=30)
        requests.get(url, params={"query": "ASK {}", "token": "another-secret-value"}, timeout=30)
        requests.get(url + f"?query=ASK%20%7B%7D&x={WRITE_TOKEN}", timeout=30)
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    logs = (out + err).decode(errors="replace")
    assert "POST /sparql" in logs and WRITE_TOKEN not in logs and "another-secret-value" not in logs
    assert logs.count("[redacted]") >= 3
    short = subprocess.run(
        [str(Path(sys.executable).with_name("exoowl")), "serve", "--no-build", "--port", str(free_port())],
        env=exoowl_env(built_mini, "fifteen-chars!!"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert short.returncode == 2 and "at least 16 characters" in short.stderr and "fifteen" not in short.stderr
