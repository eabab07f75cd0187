"""One checked path: what reaches the engine is the text the safety policy checked. The attacks
of issue 11, against a real server on an ephemeral port with an allow-list, a local listener
counting every request the server makes, and the CLI."""

from __future__ import annotations

from dataclasses import replace

import pytest
import requests
from conftest import Listener, served_mini
from test_cli import run
from test_server import start_server, stop

from exoowl.config import Settings
from exoowl.store import StoreLocation

TOKEN = "a-token-for-checked-path-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, listener: Listener):
    """The mini project served with writes on and only the listener's /allowed/ on the allow-list."""
    settings = served_mini(tmp_path_factory, "checked", allow_remote=listener.url + "allowed/")
    server, url = start_server(settings, token=TOKEN)
    yield settings, url
    stop(server)


def committed(settings: Settings):
    return StoreLocation(settings.store_path).current()


def test_a_using_graph_uri_cannot_add_a_load(live, listener: Listener) -> None:
    settings, url = live
    before, hits = committed(settings), len(listener.hits)
    hostile = (
        f"urn:x> WHERE {{}} ; LOAD <{listener.url}elsewhere/x.nt> ; INSERT {{ <urn:a> <urn:b> <urn:c> }} USING <urn:y"
    )
    response = requests.post(
        url,
        data={"update": "INSERT { <urn:s> <urn:p> <urn:o> } WHERE { }", "using-graph-uri": hostile},
        headers=AUTH,
        timeout=30,
    )
    assert response.status_code == 400 and "using-graph-uri must be an absolute IRI" in response.json()["detail"]
    assert len(listener.hits) == hits and committed(settings) == before


def test_an_escaped_iri_does_not_hide_a_second_service(live, listener: Listener) -> None:
    _, url = live
    hits = len(listener.hits)
    query = (
        f"SELECT * WHERE {{ SERVICE <{listener.url}allowed/sparql> {{}} BIND(<http://x/\\u0041'> AS ?z) "
        f"SERVICE <{listener.url}elsewhere/> {{}} }}"
    )
    response = requests.get(url, params={"query": query}, timeout=30)
    assert response.status_code == 400 and "elsewhere" in response.json()["detail"]
    assert len(listener.hits) == hits


def test_an_escaped_iri_does_not_hide_a_load_in_an_update(live, listener: Listener) -> None:
    settings, url = live
    before, hits = committed(settings), len(listener.hits)
    update = (
        f"LOAD <{listener.url}allowed/a.nt> INTO GRAPH <urn:exoowl:test:a> ; "
        "INSERT DATA { <http://x/\\u0041'> <http://x/p> 1 } ; "
        f"LOAD <{listener.url}elsewhere/b.nt> INTO GRAPH <urn:exoowl:test:b>"
    )
    response = requests.post(url, data={"update": update}, headers=AUTH, timeout=30)
    assert response.status_code == 400 and "LOAD is not allowed" in response.json()["detail"]
    assert len(listener.hits) == hits and committed(settings) == before


def test_an_allowed_load_is_fetched_once(live, listener: Listener) -> None:
    _, url = live
    hits = len(listener.hits)
    update = f"LOAD <{listener.url}allowed/once.nt> INTO GRAPH <urn:exoowl:test:once>"
    response = requests.post(url, data={"update": update}, headers=AUTH, timeout=30)
    assert response.status_code == 200, response.text
    assert listener.hits[hits:] == ["GET /allowed/once.nt"]
    ask = requests.get(url, params={"query": "ASK { GRAPH <urn:exoowl:test:once> { <http://x/s> ?p ?o } }"}, timeout=30)
    assert ask.json()["boolean"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"query": "ASK {}", "default-graph-uri": "http://a b"},
        {"query": "ASK {}", "named-graph-uri": "<>"},
        {"query": "ASK {}", "default-graph-uri": ""},
        {"query": "ASK {}", "named-graph-uri": 'http://a/"x'},
    ],
)
def test_malformed_dataset_iris_are_400(live, params: dict) -> None:
    _, url = live
    response = requests.get(url, params=params, timeout=30)
    assert response.status_code == 400 and response.headers["Content-Type"] == "application/problem+json"
    assert "must be an absolute IRI" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/network.json?cancer=http://a b",
        "/network.json?process=<>",
        "/store?graph=http://a b",
        "/network.json?cancer=exoid:a%20b",
    ],
)
def test_malformed_iris_in_pages_and_the_graph_store_are_400(live, path: str) -> None:
    _, url = live
    response = requests.get(url.replace("/sparql", path), timeout=30)
    assert response.status_code == 400, response.text
    assert "absolute IRI" in response.json()["detail"]


def test_the_cli_applies_the_server_rules(live, listener: Listener) -> None:
    """`exoowl query` refuses a SERVICE the allow-list does not name, and a bad IRI parameter, in one line."""
    settings, _ = live
    hits = len(listener.hits)
    refused = run(settings, "query", f"SELECT * {{ SERVICE <{listener.url}elsewhere/> {{ ?s ?p ?o }} }}")
    assert refused.returncode == 2 and "SERVICE clauses are not allowed" in refused.stderr
    assert len(listener.hits) == hits
    no_list = run(replace(settings, allow_remote=""), "query", f"SELECT * {{ SERVICE <{listener.url}allowed/> {{ }} }}")
    assert no_list.returncode == 2 and len(listener.hits) == hits
    bad = run(settings, "update", f"LOAD <{listener.url}elsewhere/c.nt>")
    assert bad.returncode == 2 and "LOAD is not allowed" in bad.stderr and len(listener.hits) == hits


@pytest.mark.parametrize("value", ["http://a b", "exoid:finding/T2 48", "<>", "nope"])
def test_a_bad_iri_parameter_is_one_line_and_exit_2(project: Settings, value: str) -> None:
    result = run(project, "query", "--name", "finding-detail", "--param", f"finding={value}")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "absolute IRI" in result.stderr


def _chunks(*parts: bytes):
    yield from parts


def test_a_chunked_body_over_the_limit_is_refused_whole(live) -> None:
    """Two updates in one chunked body past the 1 MiB limit: 413, and neither part is committed
    (the cut was silent before: the first part was committed, 200)."""
    settings, url = live
    before = committed(settings)
    first = b"INSERT DATA { GRAPH <urn:exoowl:test:chunk> { <urn:a> <urn:b> 'first' } } ;\n"
    filler = b"# " + b"x" * (settings.max_request_bytes) + b"\n"
    second = b"INSERT DATA { GRAPH <urn:exoowl:test:chunk> { <urn:a> <urn:b> 'second' } }"
    response = requests.post(
        url,
        data=_chunks(first, filler, second),
        timeout=60,
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 413 and response.json()["title"] == "Request too large"
    assert committed(settings) == before
    small = requests.post(
        url,
        data=_chunks(first, second.replace(b"'second'", b"'2'")),
        timeout=60,
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert small.status_code == 200, small.text
    ask = requests.get(url, params={"query": "ASK { <urn:a> <urn:b> 'first', '2' }"}, timeout=30)
    assert ask.json()["boolean"] is True


def test_rdf_xml_entity_expansion_is_refused_quickly(live) -> None:
    settings, url = live
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">'
        '<rdf:Description rdf:about="http://example.org/s"><ex:p>&a9;</ex:p></rdf:Description></rdf:RDF>'
    )
    before = committed(settings)
    response = requests.put(
        url.replace("/sparql", "/store"),
        params={"graph": "urn:exoowl:test:lol"},
        data=body.encode(),
        headers={**AUTH, "Content-Type": "application/rdf+xml"},
        timeout=10,
    )
    assert response.status_code == 400 and "entity declarations" in response.json()["detail"]
    assert response.elapsed.total_seconds() < 2 and committed(settings) == before
