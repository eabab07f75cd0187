"""Hostile values for every parameter of every route, against a live server on an ephemeral port
(hypothesis): never a 5xx, never a traceback (in an answer or the server's log), never markup from
the request echoed raw into HTML, and never an outbound request (a local listener counts them; the
generated values name it as SERVICE endpoint, LOAD source, FROM graph and dataset IRI)."""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests
from conftest import Listener, served_mini
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_server import start_server

TOKEN = "a-token-for-live-hostile-tests"
MARKUP = "<script>alert(1)</script>"
LIVE = hypothesis_settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, listener: Listener):
    """The mini project served with writes on and nothing on the allow-list; its log kept."""
    configured = served_mini(tmp_path_factory, "hostile-live")
    log_file = configured.store_path.parent / "server.log"
    server, url = start_server(configured, "--workers", "2", token=TOKEN, logs=log_file)
    yield url.removesuffix("/sparql")
    server.terminate()
    server.wait(timeout=60)
    log = log_file.read_text(errors="replace")
    assert "Traceback" not in log, log[-5000:]
    assert "Internal server error" not in log and listener.hits == []


def hostile(listener_url: str) -> st.SearchStrategy[str]:
    """Values an attacker or a careless client sends: broken IRIs, markup, escapes, quotes that try
    to close the SPARQL they might be spliced into, the listener's URL, unicode, long runs."""
    pointed = [
        listener_url,
        listener_url + "x.ttl",
        f"{listener_url}> . }} SERVICE <{listener_url}> {{",
        f"urn:x> WHERE {{}} ; LOAD <{listener_url}x.ttl> ; INSERT {{ <urn:a> <urn:b> <urn:c> }} USING <urn:y",
    ]
    fixed = [
        "http://a b",
        "<>",
        "",
        " ",
        "x",
        "exoid:",
        "exoid:a b",
        'http://a/"x',
        "http://a/{}",
        MARKUP,
        "'; DROP ALL ; '",
        '" } ; CLEAR ALL ; { "',
        "http://a/\\u0041'",
        "%00",
        "\u0000",
        "%ED%A0%80",
        "%ZZ",
        "é" * 300,
        "x" * 20000,
        "../../etc/passwd",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "json",
        "text/html",
        "*/*",
        "turtle",
        "application/x-www-form-urlencoded",
    ]
    return st.one_of(
        st.sampled_from(pointed + fixed),
        st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
        st.lists(st.sampled_from(pointed + fixed + ["{", "}", "<", ">", "?x", "SERVICE", "LOAD"]), max_size=6).map(
            " ".join
        ),
    )


def check(response: requests.Response) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text[:500])
    body = response.text
    assert "Traceback" not in body
    if response.headers.get("Content-Type", "").startswith("text/html"):
        assert MARKUP not in body, response.request.url


def safe_header(value: str) -> str:
    """A value requests will send as a header (latin-1, one line, no leading space)."""
    return value.encode("latin-1", "replace").decode("latin-1").replace("\r", " ").replace("\n", " ").strip()[:2000]


GET_ROUTES = [
    "/sparql",
    "/network.json",
    "/network",
    "/",
    "/ontology",
    "/id/gene/967",
    "/ontology/Exosome",
    "/store",
    "/health",
    "/metrics",
    "/ontology/exoowl.owl",
]
PARAMETERS = [
    "query",
    "default-graph-uri",
    "named-graph-uri",
    "format",
    "output",
    "cancer",
    "process",
    "graph",
    "default",
    "update",
]


@LIVE
@given(data=st.data())
def test_any_parameter_of_any_get_route(live: str, listener: Listener, data: st.DataObject) -> None:
    route = data.draw(st.sampled_from(GET_ROUTES))
    values = data.draw(st.dictionaries(st.sampled_from(PARAMETERS), hostile(listener.url), max_size=3))
    if route == "/sparql" and "query" in values and data.draw(st.booleans()):
        values["query"] = f"SELECT * FROM <{values['query'][:100]}> {{ ?s ?p ?o }}"
    accept = data.draw(st.sampled_from(["*/*", "text/html", "application/json", "text/turtle", "image/png", ""]))
    check(requests.get(live + route, params=values, headers={"Accept": accept}, timeout=60))


@LIVE
@given(data=st.data())
def test_any_path(live: str, listener: Listener, data: st.DataObject) -> None:
    prefix = data.draw(st.sampled_from(["/id/", "/ontology/", "/store/", "/assets/", "/", "/sparql/"]))
    rest = quote(data.draw(hostile(listener.url))[:500], safe="/")
    fmt = data.draw(st.sampled_from(["", "?format=ttl", "?format=html", "?format=nope", "?format=" + quote(MARKUP)]))
    check(requests.get(live + prefix + rest + fmt, headers={"Accept": "text/html"}, timeout=60))


BODY_TYPES = [
    "application/sparql-query",
    "application/sparql-update",
    "application/x-www-form-urlencoded",
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "text/n3",
    "multipart/form-data",
    "application/sparql-query; charset=latin-1",
    "text/plain",
    "",
]


@LIVE
@given(data=st.data())
def test_any_body_in_any_accepted_media_type(live: str, listener: Listener, data: st.DataObject) -> None:
    method = data.draw(st.sampled_from(["POST", "PUT", "DELETE"]))
    route = data.draw(
        st.sampled_from(
            ["/sparql", "/store", "/store?default", "/store?graph=http://example.org/f", "/store/own/graph"]
        )
    )
    media_type = data.draw(st.sampled_from(BODY_TYPES))
    text = data.draw(hostile(listener.url))
    if media_type == "application/sparql-update" and data.draw(st.booleans()):
        text = data.draw(
            st.sampled_from(
                [
                    f"LOAD <{text[:200]}>",
                    f"INSERT DATA {{ GRAPH <{text[:200]}> {{ <urn:a> <urn:b> 1 }} }}",
                    f"INSERT {{ <urn:a> <urn:b> ?o }} WHERE {{ SERVICE <{text[:200]}> {{ ?s ?p ?o }} }}",
                ]
            )
        )
    body = text.encode("utf-8", "surrogatepass")
    if media_type == "application/x-www-form-urlencoded":
        field = data.draw(st.sampled_from(["query", "update", "using-graph-uri", "default-graph-uri"]))
        body = f"{field}={quote(text)}&update=INSERT%20DATA%20%7B%7D".encode()
    auth = data.draw(st.sampled_from([f"Bearer {TOKEN}", "Bearer wrong-token-value!", safe_header(text), ""]))
    host = data.draw(st.sampled_from(["", "evil.example", safe_header(text)[:200].replace(" ", "")]))
    headers = {"Content-Type": media_type}
    if auth:
        headers["Authorization"] = auth
    if host:
        headers["Host"] = host
    check(requests.request(method, live + route, data=body, headers=headers, timeout=60))
