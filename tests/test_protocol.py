"""/sparql as the SPARQL 1.1 Protocol says: operations, dataset, content negotiation, service
description, CORS, refusals and problem responses (Flask test client over a small store)."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from store_builder import commit_store
from werkzeug.datastructures import MultiDict

from exoowl.config import load_settings
from exoowl.namespaces import GRAPH_INFERRED
from exoowl_server import create_app

G1, G2 = "http://example.org/g1", "http://example.org/g2"
TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
GRAPHS = {
    G1: f"<http://example.org/a> {TYPE} <http://example.org/Doc> .\n".encode(),
    G2: f"<http://example.org/b> {TYPE} <http://example.org/Doc> .\n"
    f'<http://example.org/b> <http://example.org/p> "1" .\n'.encode(),
    str(GRAPH_INFERRED): f"<http://example.org/b> {TYPE} <http://example.org/Thing> .\n".encode(),
}
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
SUBJECTS = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s"
DIRECT = {"Content-Type": "application/sparql-query"}


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("protocol")
    commit_store(base / "store", GRAPHS)
    return base


def make_client(base: Path, **overrides):
    settings = load_settings({"root": base, "store": base / "store", **overrides}, environ={})
    return create_app(settings).test_client()


@pytest.fixture
def client(store_path: Path):
    return make_client(store_path)


def subjects(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [b["s"]["value"] for b in response.json["results"]["bindings"]]


# operations -----------------------------------------------------------------------------------
def test_get_form_post_and_direct_post_answer_alike(client) -> None:
    get = client.get("/sparql", query_string={"query": SUBJECTS})
    form = client.post("/sparql", data={"query": SUBJECTS})
    direct = client.post("/sparql", data=SUBJECTS, headers=DIRECT)
    assert (
        subjects(get)
        == subjects(form)
        == subjects(direct)
        == ["http://example.org/a", "http://example.org/b", "http://example.org/b", "http://example.org/b"]
    )


def test_default_graph_uri_sets_the_default_graph(client) -> None:
    response = client.get("/sparql", query_string=[("query", SUBJECTS), ("default-graph-uri", G1)])
    assert subjects(response) == ["http://example.org/a"]


def test_named_graph_uri_limits_the_named_graphs(client) -> None:
    query = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    response = client.post("/sparql?named-graph-uri=" + G2, data=query, headers=DIRECT)
    assert [b["g"]["value"] for b in response.json["results"]["bindings"]] == [G2, G2]


def test_protocol_dataset_wins_over_from(client) -> None:
    query = f"SELECT ?s FROM <{G2}> WHERE {{ ?s ?p ?o }}"
    assert subjects(client.get("/sparql", query_string={"query": query})) == ["http://example.org/b"] * 2
    response = client.get("/sparql", query_string=[("query", query), ("default-graph-uri", G1)])
    assert subjects(response) == ["http://example.org/a"]


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get("/sparql?query=ASK%20%7B%7D&query=ASK%20%7B%7D"),
        lambda c: c.post("/sparql?query=ASK%20%7B%7D", data={"query": "ASK {}"}),
        lambda c: c.post("/sparql?query=ASK%20%7B%7D", data="ASK {}", headers=DIRECT),
        lambda c: c.post("/sparql", data={"query": "ASK {}", "update": "CLEAR ALL"}),
    ],
)
def test_more_than_one_operation_is_a_400(client, call) -> None:
    response = call(client)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


@pytest.mark.parametrize("content_type", ["text/plain", None, "application/sparql-query; charset=UTF-16"])
def test_unreadable_bodies_are_415(client, content_type) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/sparql", data="ASK {}", headers=headers)
    assert response.status_code == 415 and response.mimetype == "application/problem+json"
    assert "application/sparql-query" in response.json["detail"] or "UTF-8" in response.json["detail"]


@pytest.mark.parametrize("where", ["url", "body"])
def test_a_form_post_keeps_every_repeated_dataset_parameter(client, where: str) -> None:
    graphs = [("default-graph-uri", G1), ("default-graph-uri", G2)]
    url = "/sparql?" + "&".join(f"{k}={v}" for k, v in graphs) if where == "url" else "/sparql"
    body = MultiDict([("query", SUBJECTS), *(graphs if where == "body" else [])])
    response = client.post(url, data=body)
    assert subjects(response) == ["http://example.org/a", "http://example.org/b", "http://example.org/b"]


@pytest.mark.parametrize("content_type, named", [("text/plain", "got text/plain"), (None, "got no Content-Type")])
def test_a_415_names_the_content_type_it_got(client, content_type, named: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert client.post("/sparql", data="ASK {}", headers=headers).json["detail"].endswith(named)


def test_a_body_that_is_not_utf8_is_a_400(client) -> None:
    response = client.post("/sparql", data="ASK { ?s ?p 'é' }".encode("latin-1"), headers=DIRECT)
    assert response.status_code == 400 and "UTF-8" in response.json["detail"]


def test_without_an_update_token_the_server_is_read_only(client) -> None:
    response = client.post("/sparql", data="CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 403 and "read-only" in response.json["detail"]
    assert client.get("/sparql", query_string={"update": "CLEAR ALL"}).status_code == 400
    assert client.get("/sparql", query_string={"query": SUBJECTS}).json["results"]["bindings"]


def test_other_methods_are_405_with_allow(client) -> None:
    response = client.put("/sparql", data="ASK {}")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert response.mimetype == "application/problem+json"


# content negotiation -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.2, text/tab-separated-values;q=0.9", "text/tab-separated-values"),
        ("text/*", "text/csv"),
        ("application/json", "application/json"),
    ],
)
def test_select_negotiates_with_q_values(client, accept, expected) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": SUBJECTS}, headers=headers)
    assert response.status_code == 200 and response.mimetype == expected
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "text/turtle"),
        ("*/*", "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-quads", "application/n-quads"),
        ("application/trig", "application/trig"),
    ],
)
def test_construct_negotiates_rdf(client, accept, expected) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers=headers)
    assert response.status_code == 200 and response.mimetype == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
        ("text/csv", "text/csv"),
    ],
)
def test_format_and_output_parameters_override_accept(client, value, expected) -> None:
    for name in ("format", "output"):
        response = client.get(
            "/sparql",
            query_string={"query": SUBJECTS, name: value},
            headers={"Accept": "application/sparql-results+xml"},
        )
        assert response.mimetype == expected


@pytest.mark.parametrize(
    "value, expected",
    [
        ("turtle", "text/turtle"),
        ("n3", "text/turtle"),
        ("rdf+xml", "application/rdf+xml"),
        ("json-ld", "application/ld+json"),
        ("json", "application/ld+json"),
        ("xml", "application/rdf+xml"),
    ],
)
def test_format_parameter_for_graphs(client, value, expected) -> None:
    response = client.post("/sparql", data={"query": "DESCRIBE <http://example.org/a>", "format": value})
    assert response.status_code == 200 and response.mimetype == expected


def test_nothing_acceptable_is_a_406_listing_the_supported_types(client) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert response.status_code == 406 and response.mimetype == "application/problem+json"
    assert "application/sparql-results+json" in response.json["supported"]
    response = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "csv"})
    assert response.status_code == 406 and "text/turtle" in response.json["supported"]


# HEAD, OPTIONS, CORS --------------------------------------------------------------------------
def test_head_has_the_headers_of_get_without_a_body(client) -> None:
    get = client.get("/sparql", query_string={"query": SUBJECTS})
    head = client.head("/sparql", query_string={"query": SUBJECTS})
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert head.headers["Content-Length"] == get.headers["Content-Length"]


def test_options_lists_the_methods(client) -> None:
    response = client.options("/sparql")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_cors_allows_any_origin_by_default(client) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Origin": "https://yasgui.org"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_cors_origins_setting_limits_the_origins(store_path: Path) -> None:
    client = make_client(store_path, cors_origins="https://a.example https://b.example")
    allowed = client.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://b.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://b.example" and "Origin" in allowed.headers["Vary"]
    other = client.get("/sparql?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


# service description -------------------------------------------------------------------------
def description(client, accept: str = "text/turtle") -> ox.Dataset:
    response = client.get("/sparql", headers={"Accept": accept})
    assert response.status_code == 200
    fmt = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/n-quads": ox.RdfFormat.N_QUADS,
        "application/trig": ox.RdfFormat.TRIG,
    }[response.mimetype]
    store = ox.Store()
    store.load(response.data, format=fmt)
    return store


def ask(store: ox.Store, where: str) -> bool:
    return bool(store.query(f"PREFIX sd: <{SD}> PREFIX void: <{VOID}> ASK {{ {where} }}"))


@pytest.mark.parametrize(
    "accept",
    [
        "text/turtle",
        "application/n-triples",
        "application/rdf+xml",
        "application/ld+json",
        "application/n-quads",
        "application/trig",
    ],
)
def test_service_description_in_every_rdf_format(client, accept) -> None:
    # W3C service-description tests: returns-rdf, has-endpoint-triple
    assert ask(description(client, accept), "?service a sd:Service ; sd:endpoint <http://localhost/sparql>")


def test_service_description_conforms_to_the_schema(client) -> None:
    sd = description(client)
    assert ask(
        sd,
        """?service a sd:Service ; sd:supportedLanguage sd:SPARQL11Query ;
        sd:feature sd:UnionDefaultGraph ;
        sd:resultFormat <http://www.w3.org/ns/formats/SPARQL_Results_JSON>, <http://www.w3.org/ns/formats/Turtle> ;
        sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/OWL-RDF-Based> ;
        sd:defaultDataset ?ds ; sd:availableGraphs ?ds .
        ?ds a sd:Dataset ; sd:defaultGraph [ a sd:Graph ]""",
    )
    formats = sd.query(f"SELECT ?f {{ ?s <{SD}resultFormat> ?f }}")
    assert len(list(formats)) == 10
    # every sd:NamedGraph has exactly one sd:name, an IRI, and an sd:Graph
    assert not ask(
        sd, "?n a sd:NamedGraph FILTER NOT EXISTS { ?n sd:name ?name ; sd:graph [ a sd:Graph ] FILTER(isIRI(?name)) }"
    )


def test_service_description_lists_sparql_update_only_when_writes_are_enabled(client, store_path: Path) -> None:
    assert not ask(description(client), "?service sd:supportedLanguage sd:SPARQL11Update")
    writable = make_client(store_path, update_token="a-token-long-enough-for-writes")
    assert ask(description(writable), "?service sd:supportedLanguage sd:SPARQL11Update")


def test_service_description_counts_each_graph(client) -> None:
    sd = description(client)
    assert ask(
        sd,
        f"""[] sd:namedGraph [ sd:name <{G2}> ; sd:graph [ a void:Dataset ; void:triples 2 ;
                        void:distinctSubjects 1 ; void:properties 2 ; void:classes 1 ] ]""",
    )
    assert ask(
        sd, f"[] sd:name <{GRAPH_INFERRED}> ; sd:entailmentRegime <http://www.w3.org/ns/entailment/OWL-RDF-Based>"
    )
    assert ask(sd, f"[] sd:name <{G1}> ; sd:entailmentRegime <http://www.w3.org/ns/entailment/Simple>")
    rl = sd.query(f"SELECT ?c {{ ?s a <{SD}Service> ; <http://www.w3.org/2000/01/rdf-schema#comment> ?c }}")
    assert "OWL 2 RL" in next(iter(rl))["c"].value


def test_head_on_the_service_description(client) -> None:
    response = client.head("/sparql")
    assert response.status_code == 200 and response.mimetype == "text/turtle" and response.data == b""


# refusals and problems ------------------------------------------------------------------------
def test_service_and_unknown_from_are_refused(client) -> None:
    service = client.get("/sparql", query_string={"query": "SELECT * { SERVICE <http://remote/> { ?s ?p ?o } }"})
    assert service.status_code == 400 and "SERVICE" in service.json["detail"]
    elsewhere = client.get("/sparql", query_string={"query": "SELECT * FROM <http://elsewhere/> { ?s ?p ?o }"})
    assert elsewhere.status_code == 400 and "http://elsewhere/" in elsewhere.json["detail"]


def test_allow_remote_lets_from_elsewhere_through(store_path: Path) -> None:
    client = make_client(store_path, allow_remote="http://elsewhere/")
    response = client.get("/sparql", query_string={"query": "ASK FROM <http://elsewhere/> { ?s ?p ?o }"})
    assert response.status_code == 200 and response.json["boolean"] is False


def test_bodies_over_the_limit_are_413(store_path: Path) -> None:
    client = make_client(store_path, max_request_bytes=100)
    response = client.post("/sparql", data="ASK {" + " " * 200 + "}", headers=DIRECT)
    assert response.status_code == 413 and response.json["limit"] == 100


def test_malformed_query_gives_position(client) -> None:
    response = client.get("/sparql", query_string={"query": "SELECT ?x\nWHERE {"})
    assert response.status_code == 400 and (response.json["line"], response.json["column"]) == (2, 8)


def test_unexpected_errors_are_a_500_problem_without_traceback(client, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("exoowl_server.sparql.check_query", broken)
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.status_code == 500 and response.mimetype == "application/problem+json"
    assert "secret" not in response.data.decode() and "Traceback" not in response.data.decode()


def test_an_answer_over_the_result_limit_is_422_and_stops_early(store_path: Path) -> None:
    client = make_client(store_path, max_result_bytes=2000)
    cross = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    started = time.perf_counter()
    response = client.get("/sparql", query_string={"query": cross})
    assert response.status_code == 422 and response.json["limit"] == 2000 and "LIMIT" in response.json["detail"]
    graph = make_client(store_path, max_result_bytes=200).get(
        "/sparql", query_string={"query": "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }"}
    )
    assert graph.status_code == 422
    assert time.perf_counter() - started < 5
    small = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert small.status_code == 200 and small.json["boolean"] is True
