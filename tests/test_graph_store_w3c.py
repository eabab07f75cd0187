"""The W3C Graph Store HTTP Protocol tests (../shared/w3c/sparql11-http-rdf-update/manifest.ttl),
replayed in order against a real ``exoowl serve`` on an ephemeral port.

Each test's request and expected response are written in its Markdown comment; they are read at
test time, never copied. ``$GRAPHSTORE$`` is ``/store``, ``$HOST$`` the server's host and port,
``$NEWPATH$`` the Location the 'create new graph' POST answered with. Response bodies are checked
against a model: the graphs the requests so far should have made, kept with rdflib, compared by
isomorphism (the manifest's printed bodies are not all consistent with its requests). The
'DELETE - existing graph' test deletes a graph no earlier test creates, so it is created first.
Three request bodies end a Turtle statement without its '.', which Turtle requires: the server
rejects them as written (400, checked below), and the replay sends them completed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP

import pytest
import requests
from conftest import SHARED
from rdflib import RDFS, Graph, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from store_builder import commit_store
from test_server import start_server, stop

from exoowl.config import load_settings

MANIFEST = SHARED / "w3c" / "sparql11-http-rdf-update" / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
TOKEN = "w3c-graph-store-tests-token"
TEST_COUNT = 18

pytestmark = pytest.mark.skipif(not MANIFEST.exists(), reason=f"W3C Graph Store tests not present at {MANIFEST}")


@dataclass
class Exchange:
    name: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str] = field(default_factory=dict)


def _block(text: str, heading: str) -> list[str]:
    """The indented lines under a '#### heading', unindented."""
    part = text.split(f"#### {heading}", 1)[1].split("####", 1)[0]
    lines = part.strip("\n").split("\n")
    return [line[4:] if line.startswith("    ") else line.strip() for line in lines]


def _exchange(name: str, text: str) -> Exchange:
    request, response = _block(text, "Request"), _block(text, "Response")
    method, target, _ = request[0].split(" ", 2)
    blank = request.index("") if "" in request else len(request)
    headers = dict(line.split(": ", 1) for line in request[1:blank])
    body = "\n".join(request[blank + 1 :]).strip("\n")
    status = int(response[0].split()[0])
    response_headers = dict(line.split(": ", 1) for line in response[1:] if re.match(r"^[A-Za-z-]+: ", line))
    return Exchange(name, method, target, headers, body.encode(), status, response_headers)


def load_manifest() -> list[Exchange]:
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(MF.entries, None))
    exchanges = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        comment = next(str(c) for c in graph.objects(entry, RDFS.comment) if "#### Request" in str(c))
        exchanges.append(_exchange(str(graph.value(entry, MF.name)), comment))
    return exchanges


EXCHANGES = load_manifest() if MANIFEST.exists() else []


def complete_turtle(body: str) -> str:
    """The body with a '.' after a last Turtle statement that lacks it (also before multipart boundaries)."""
    if "\n--" in body:
        return re.sub(r"([^.\s])(\s*\n--)", r"\1 .\2", body)
    stripped = body.rstrip()
    return stripped + " ." if stripped and not stripped.endswith(".") else body


class Replay:
    """Sends the manifest's requests and keeps the graphs they should have made."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.host = root.removeprefix("http://")
        self.new_path = ""
        self.model: dict[str | None, Graph] = {}

    def fill(self, text: str) -> str:
        text = text.replace("$NEWPATH$", self.new_path).replace("$HOST$", self.host)
        return re.sub(r"/?\$GRAPHSTORE\$", "/store", text)

    def graph_iri(self, target: str) -> str | None:
        """The graph a request path names: ?default, ?graph=, or the URL itself."""
        if target.endswith("?default"):
            return None
        if "?graph=" in target:
            return target.split("?graph=", 1)[1]
        return self.root + target

    def body(self, exchange: Exchange) -> bytes:
        return complete_turtle(self.fill(exchange.body.decode())).encode()

    def send(self, exchange: Exchange, body: bytes | None = None) -> requests.Response:
        target = self.fill(exchange.target)
        headers = {k: v for k, v in exchange.headers.items() if k.lower() != "host"}
        headers["Authorization"] = f"Bearer {TOKEN}"
        response = requests.request(
            exchange.method,
            self.root + target,
            data=self.body(exchange) if body is None else body,
            headers=headers,
            timeout=30,
            allow_redirects=False,
        )
        if response.status_code < 300:
            self.remember(exchange, target, headers, response)
        return response

    def remember(self, exchange: Exchange, target: str, headers: dict[str, str], response: requests.Response) -> None:
        if exchange.method == "POST" and target == "/store":
            self.new_path = response.headers["Location"].removeprefix(self.root)
            target = self.new_path
        iri = self.graph_iri(target)
        if exchange.method == "DELETE":
            self.model.pop(iri, None)
        elif exchange.method in ("PUT", "POST"):
            sent = self.parse_body(exchange, headers, base=iri or self.root + "/store")
            self.model[iri] = sent if exchange.method == "PUT" else self.model.get(iri, Graph()) + sent

    def parse_body(self, exchange: Exchange, headers: dict[str, str], base: str) -> Graph:
        body = self.body(exchange)
        if headers["Content-Type"].startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + headers["Content-Type"].encode() + b"\r\n\r\n" + body.replace(b"\n", b"\r\n")
            )
            graph = Graph()
            for part in message.iter_parts():
                graph.parse(data=part.get_payload(decode=True), format="turtle", publicID=base)
            return graph
        return Graph().parse(data=body, format="turtle", publicID=base)


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("w3c-graph-store")
    commit_store(base / "store", {})
    server, url = start_server(
        load_settings({"root": base, "store": base / "store"}, environ={}), "--no-build", "--workers", "1", token=TOKEN
    )
    yield Replay(url.removesuffix("/sparql"))
    stop(server)


def test_manifest_has_the_expected_tests() -> None:
    assert len(EXCHANGES) == TEST_COUNT


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: e.name)
def test_graph_store(exchange: Exchange, replay: Replay) -> None:
    if exchange.name == "DELETE - existing graph":
        created = requests.put(
            replay.root + "/store/person/2.ttl",
            data=b"<http://a> <http://b> <http://c> .",
            headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )
        assert created.status_code == 201
    if exchange.name == "POST - existing graph":
        as_written = replay.send(exchange, body=replay.fill(exchange.body.decode()).encode())
        assert as_written.status_code == 400 and "line 3 column" in as_written.json()["detail"]
    response = replay.send(exchange)
    assert response.status_code == exchange.status, response.text
    if "Location" in exchange.response_headers:
        assert response.headers["Location"].startswith(replay.root + "/store/")
    if exchange.method in ("GET", "HEAD") and exchange.status == 200:
        assert response.headers["Content-Type"].split(";")[0] == "text/turtle"
    if exchange.method == "GET" and exchange.status == 200:
        got = Graph().parse(data=response.text, format="turtle")
        assert isomorphic(got, replay.model[replay.graph_iri(replay.fill(exchange.target))])
