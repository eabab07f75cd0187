"""A SPARQL 1.1 server as the store (``--store sparql+http://…``), for labs that outgrow one machine.

The location names the server's SPARQL endpoint; the Graph Store endpoint and credentials are
optional parts of it::

    sparql+http://HOST:PORT/sparql                      query and update at /sparql
    sparql+http://USER:PASSWORD@HOST:PORT/sparql?gsp=/sparql-graph-crud-auth
                                                         Graph Store at that path, with HTTP auth

Results come back as the same pyoxigraph objects a local store gives (the server's answer is
parsed with pyoxigraph), so the query layer, the CLI and the API work unchanged. Credentials are
sent with HTTP Basic or, when the server asks for it, Digest authentication (Virtuoso does).
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

import pyoxigraph as ox
import requests

from .errors import ExoowlError, QuerySyntaxError, StoreError, UsageError
from .query import bind_values
from .rdfio import serialized
from .service import internal_query
from .sparql_safety import analyse
from .store import DATASET_FORMATS, EXPORT_FORMATS, Closing, StoreProtocol

SCHEME = "sparql+"
GRAPHS_SECONDS = 10.0  # how long the list of a server's graphs is reused
RESULTS_XML = "application/sparql-results+xml"
N_TRIPLES = "application/n-triples"
TRUE_XML = (
    b'<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>%s</boolean></sparql>'
)


def is_remote(location: object) -> bool:
    return isinstance(location, str) and location.startswith(SCHEME)


@dataclass(frozen=True)
class RemoteEndpoints:
    query: str
    update: str
    graph_store: str | None
    user: str | None = None
    password: str | None = None

    @classmethod
    def parse(cls, location: str) -> RemoteEndpoints:
        if not is_remote(location):
            raise UsageError(f"a remote store is written sparql+http://HOST/PATH; got {location!r}")
        parts = urlsplit(location.removeprefix(SCHEME))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"a remote store is written sparql+http://HOST/PATH or sparql+https://…; got {location!r}")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        base = urlunsplit((parts.scheme, netloc, parts.path or "/sparql", "", ""))
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        root = urlunsplit((parts.scheme, netloc, "", "", ""))
        update = root + options["update"] if "update" in options else base
        gsp = root + options["gsp"] if "gsp" in options else None
        return cls(base, update, gsp, parts.username, parts.password)

    def __str__(self) -> str:  # never shows the password
        return f"{SCHEME}{self.query}"


class RemoteStore(Closing):
    """The Store interface over HTTP: queries, updates and graph reads/writes."""

    def __init__(self, endpoints: RemoteEndpoints, timeout: float = 60.0) -> None:
        self.endpoints = endpoints
        self.timeout = timeout
        self.session = requests.Session()
        self.directory = None
        self._graphs: tuple[float, list[str]] | None = None

    @classmethod
    def open(cls, location: str, timeout: float = 60.0) -> RemoteStore:
        store = cls(RemoteEndpoints.parse(location), timeout)
        store.query("ASK {}")  # reachable, and a SPARQL endpoint
        return store

    def close(self) -> None:
        """Close the HTTP session's connections (closing twice is harmless)."""
        self.session.close()

    # HTTP ---------------------------------------------------------------------------------------
    def _send(self, method: str, url: str, *, auth: bool = False, **options: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **options)
            if response.status_code == 401 and auth and self.endpoints.user:
                response = self.session.request(method, url, timeout=self.timeout, auth=self._auth(response), **options)
        except requests.RequestException as exc:
            raise StoreError(f"the SPARQL server at {self.endpoints.query} did not answer: {exc}") from exc
        return response

    def _auth(self, challenge: requests.Response) -> requests.auth.AuthBase:
        user, password = self.endpoints.user or "", self.endpoints.password or ""
        if "digest" in challenge.headers.get("WWW-Authenticate", "").lower():
            return requests.auth.HTTPDigestAuth(user, password)
        return requests.auth.HTTPBasicAuth(user, password)

    def _check(self, response: requests.Response, what: str) -> requests.Response:
        if response.status_code < 300:
            return response
        message = " ".join(re.sub(r"<[^>]+>", " ", response.text).split())[:400]
        error = QuerySyntaxError if response.status_code == 400 else StoreError
        raise error(f"the SPARQL server refused the {what} ({response.status_code}): {message}")

    # reading ------------------------------------------------------------------------------------
    def query(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        base_iri: str | None = None,
    ) -> Any:
        """pyoxigraph results: QuerySolutions, QueryBoolean, or a list of triples."""
        form = analyse(sparql).form
        graph = form in ("CONSTRUCT", "DESCRIBE")
        data: list[tuple[str, str]] = [("query", sparql)]
        data += [("default-graph-uri", g) for g in default_graphs or []]
        data += [("named-graph-uri", g) for g in named_graphs or []]
        response = self._check(
            self._send(
                "POST",
                self.endpoints.query,
                data=data,
                auth=True,
                headers={"Accept": N_TRIPLES if graph else RESULTS_XML},
            ),
            "query",
        )
        if graph:
            return [q.triple for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)]
        result = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.XML)
        return _as_boolean(result) if form == "ASK" else result

    def graphs(self) -> list[str]:
        """The server's named graphs (asked again at most every GRAPHS_SECONDS)."""
        if self._graphs is None or time.monotonic() - self._graphs[0] > GRAPHS_SECONDS:
            rows = self.query(internal_query("graphs"))
            self._graphs = (time.monotonic(), sorted(r["g"].value for r in rows if isinstance(r["g"], ox.NamedNode)))
        return self._graphs[1]

    def has_graph(self, graph_iri: str) -> bool:
        return graph_iri in self.graphs()

    def count(self, graph_iri: str | None = None) -> int:
        if graph_iri is None:
            return sum(self.count(g) for g in self.graphs())
        rows = self.query(bind_values(internal_query("graph-size"), {"graph": ox.NamedNode(graph_iri)}))
        return int(next(iter(rows))["n"].value)

    def triples(self, graph_iri: str | None) -> list[ox.Triple]:
        """A named graph's triples. A server's default graph is usually the union of all its
        graphs, so it is not read whole (UsageError)."""
        if graph_iri is None:
            raise UsageError("the default graph of a SPARQL server is not read whole here: name a graph")
        triples: list[ox.Triple] = self.query(
            bind_values(internal_query("graph-triples"), {"graph": ox.NamedNode(graph_iri)})
        )
        return triples

    def export(self, output: IO[bytes] | Path, fmt: str, graph_iri: str | None = None) -> None:
        """The store (N-Quads, TriG: every named graph) or one graph, as a local store exports it."""
        if fmt not in EXPORT_FORMATS:
            raise UsageError(f"unknown export format {fmt!r} (choose from {', '.join(EXPORT_FORMATS)})")
        if fmt not in DATASET_FORMATS and graph_iri is None:
            raise UsageError(f"{fmt} holds one graph: name it with --graph (or export nquads/trig)")
        if graph_iri is not None:
            data: list[ox.Triple] | list[ox.Quad] = self.triples(graph_iri)
        else:
            data = [
                ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(g))
                for g in self.graphs()
                for t in self.triples(g)
            ]
        body = serialized(data, EXPORT_FORMATS[fmt])
        if isinstance(output, Path):
            output.write_bytes(body)
        else:
            output.write(body)

    # writing ------------------------------------------------------------------------------------
    def update(self, sparql: str) -> None:
        self._graphs = None
        self._check(self._send("POST", self.endpoints.update, data={"update": sparql}, auth=True), "update")

    def put_graph(self, graph_iri: str, ntriples: bytes) -> None:
        """Replace a graph: Graph Store PUT where the server has one, else DROP + INSERT DATA."""
        if self.endpoints.graph_store:
            self._check(
                self._send(
                    "PUT",
                    self.endpoints.graph_store,
                    params={"graph": graph_iri},
                    data=ntriples,
                    headers={"Content-Type": N_TRIPLES},
                    auth=True,
                ),
                "Graph Store PUT",
            )
            return
        self.update(f"DROP SILENT GRAPH <{graph_iri}>")
        self.add_triples(graph_iri, ntriples.decode("utf-8").splitlines())

    def add_triples(self, graph_iri: str, lines: Iterable[str], chunk: int = 20000) -> int:
        """Add N-Triples lines to a graph in chunks (Graph Store POST, else INSERT DATA); returns the count."""
        added = 0
        for part in _chunks(lines, chunk):
            if self.endpoints.graph_store:
                self._check(
                    self._send(
                        "POST",
                        self.endpoints.graph_store,
                        params={"graph": graph_iri},
                        data="\n".join(part).encode("utf-8"),
                        headers={"Content-Type": N_TRIPLES},
                        auth=True,
                    ),
                    "Graph Store POST",
                )
            else:
                self.update(f"INSERT DATA {{ GRAPH <{graph_iri}> {{ {' '.join(part)} }} }}")
            added += len(part)
        return added

    def replace_graphs(self, graphs: dict[str, Callable[[str], None]], record: str = "") -> None:
        """Replace several graphs at once: each ``fill(staging IRI)`` writes a staging graph, then one
        update request moves them all over their targets (as atomic as the server makes a request;
        ``record`` is more update text for the same request). A failure drops the staging graphs."""
        tag = uuid.uuid4().hex[:12]
        staging = {iri: f"{iri}.staging-{tag}" for iri in graphs}
        try:
            for iri, fill in graphs.items():
                self.update(f"DROP SILENT GRAPH <{staging[iri]}>")
                fill(staging[iri])
            moves = " ;\n".join(f"MOVE SILENT GRAPH <{staging[iri]}> TO <{iri}>" for iri in graphs)
            self.update(moves + (f" ;\n{record}" if record else ""))
        except BaseException:
            for name in staging.values():
                with contextlib.suppress(ExoowlError):
                    self.update(f"DROP SILENT GRAPH <{name}>")
            raise


def _as_boolean(result: Any) -> Any:
    """An ASK answer as a QueryBoolean, also from servers (Virtuoso 7) that answer ASK with a
    one-variable result set (``__ASK_RETVAL``) instead of a boolean."""
    if isinstance(result, ox.QueryBoolean):
        return result
    rows = list(result)
    value = bool(rows) and rows[0][0] is not None and rows[0][0].value not in ("0", "false")
    return ox.parse_query_results(TRUE_XML % (b"true" if value else b"false"), format=ox.QueryResultsFormat.XML)


def _chunks(lines: Iterable[str], size: int) -> Iterable[list[str]]:
    chunk: list[str] = []
    for line in lines:
        if line.strip():
            chunk.append(line)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_IMPLEMENTED: type[StoreProtocol] = RemoteStore  # mypy: a SPARQL server is a StoreProtocol too
