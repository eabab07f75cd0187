"""The W3C SPARQL 1.1 Protocol tests (../shared/w3c/sparql11-protocol/manifest.ttl), replayed
against a real ``exoowl serve`` on an ephemeral port.

The manifest is read at test time, never copied. Each test's ``ut:graphData`` is loaded into a
fresh store built for the tests that name the same graphs: the query tests only read, so tests
with the same graph data share a server; each update test gets a server of its own (they begin
with CLEAR ALL). Writes are enabled with a bearer token, which every request carries. All 34
tests must pass.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import SHARED
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection
from store_builder import commit_store
from test_server import start_server, stop

from exoowl.config import load_settings

PROTOCOL = SHARED / "w3c" / "sparql11-protocol"
MANIFEST = PROTOCOL / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"W3C protocol tests not present at {MANIFEST}")

TOKEN = "w3c-protocol-tests-token"
UPDATE_TEST_COUNT = 14
QUERY_TEST_COUNT = 20
RESULT_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: frozenset[str]
    expected_format: str | None
    expected_boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    graphs: tuple[tuple[str, str], ...]  # (graph IRI, data file name)
    requests: tuple[HttpRequest, ...]


def _list(graph: Graph, head) -> list:
    return list(Collection(graph, head))


def _request(graph: Graph, node) -> HttpRequest:
    headers = {
        str(graph.value(h, HT.fieldName)): str(graph.value(h, HT.fieldValue))
        for head in graph.objects(node, HT.headers)
        for h in _list(graph, head)
    }
    body = graph.value(node, HT.body)
    response = graph.value(node, HT.resp)
    boolean = graph.value(response, MF.expectedBoolean)
    expected_format = graph.value(response, MF.expectedFormat)
    return HttpRequest(
        str(graph.value(node, HT.methodName)),
        str(graph.value(node, HT.absolutePath)),
        headers,
        str(graph.value(body, CNT.chars)) if body is not None else None,
        frozenset(str(s).removeprefix(HTS) for s in graph.objects(response, MF.expectedStatus)),
        str(expected_format) if expected_format is not None else None,
        boolean.toPython() if boolean is not None else None,
    )


def load_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(MANIFEST, format="turtle", publicID=MANIFEST.as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for entry in _list(graph, graph.value(manifest, MF.entries)):
        data = sorted(
            (str(graph.value(d, RDFS.label)), Path(str(graph.value(d, UT.graph))).name)
            for d in graph.objects(entry, UT.graphData)
        )
        action = graph.value(entry, MF.action)
        requests_ = [_request(graph, r) for r in _list(graph, graph.value(action, HT.requests))]
        tests.append(ProtocolTest(str(entry).rsplit("#", 1)[1], tuple(data), tuple(requests_)))
    return tests


TESTS = load_manifest() if MANIFEST.exists() else []


def writes(test: ProtocolTest) -> bool:
    return "update" in test.name


def start_store_server(base: Path) -> tuple[subprocess.Popen, str]:
    """``exoowl serve --no-build`` on the store at ``base/store``; returns the server and its root URL."""
    settings = load_settings({"root": base, "store": base / "store"}, environ={})
    server, url = start_server(settings, "--no-build", "--workers", "1", token=TOKEN)
    return server, url.removesuffix("/sparql")


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The server for a test: one per distinct graph data for the query tests, one per update test."""
    started: dict[tuple, tuple[subprocess.Popen, str]] = {}

    def server_for(test: ProtocolTest) -> str:
        key = (test.graphs, test.name if writes(test) else None)
        if key not in started:
            base = tmp_path_factory.mktemp("w3c-protocol")
            commit_store(base / "store", {iri: (PROTOCOL / name).read_bytes() for iri, name in test.graphs})
            started[key] = start_store_server(base)
        return started[key][1]

    yield server_for
    for server, _ in started.values():
        stop(server)


def replay(base: str, req: HttpRequest) -> requests.Response:
    path = req.path.replace("/sparql/", "/sparql", 1)
    body = req.body.encode("utf-8") if req.body is not None else None
    headers = {**req.headers, "Authorization": f"Bearer {TOKEN}"}
    return requests.request(req.method, base + path, data=body, headers=headers, timeout=30, allow_redirects=False)


def status_class(code: int) -> str:
    return f"{code // 100}xx"


def check_format(response: requests.Response, req: HttpRequest) -> None:
    mime = response.headers["Content-Type"].split(";")[0].strip()
    if req.expected_format in ("boolean", "tabular"):
        assert mime in RESULT_TYPES, mime
    if req.expected_format == "boolean":
        assert mime in ("application/sparql-results+json", "application/sparql-results+xml"), mime
    if req.expected_format == "RDF":
        assert mime in RDF_TYPES, mime
        list(ox.parse(response.content, format=RDF_TYPES[mime]))
    if req.expected_boolean is not None:
        assert _boolean(response, mime) is req.expected_boolean


def _boolean(response: requests.Response, mime: str) -> bool:
    if mime == "application/sparql-results+json":
        return json.loads(response.content)["boolean"]
    return bool(ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML))


def test_manifest_has_the_expected_tests() -> None:
    assert len(TESTS) == 34 and sum(map(writes, TESTS)) == UPDATE_TEST_COUNT
    assert len(TESTS) - UPDATE_TEST_COUNT == QUERY_TEST_COUNT


@pytest.mark.parametrize("test", TESTS, ids=lambda t: t.name)
def test_protocol(test: ProtocolTest, servers) -> None:
    base = servers(test)
    for req in test.requests:
        response = replay(base, req)
        assert status_class(response.status_code) in req.statuses, (response.status_code, response.text)
        check_format(response, req)
