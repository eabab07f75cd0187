"""Writes over HTTP: the bearer token, the SHACL gate's 422, the Graph Store protocol at /store
(Flask test client over a real store built from the mini fixture project)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import Graph, URIRef

from exoowl.config import Settings, load_settings
from exoowl.errors import UsageError
from exoowl.store import StoreLocation
from exoowl_server import create_app

TOKEN = "a-test-token-of-some-length"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = {"Content-Type": "application/sparql-update"}
TURTLE = {"Content-Type": "text/turtle"}
EX = "http://example.org/"
BAD_LINE = (
    f"PREFIX exoowl: <https://w3id.org/exoowl/ontology/> INSERT DATA {{ GRAPH <{EX}lab> {{ "
    f"<{EX}line> a exoowl:CellLine ; exoowl:cellosaurusId 'CVCL?' }} }}"
)


@pytest.fixture
def client(built_mini: Settings):
    return create_app(replace(built_mini, update_token=TOKEN)).test_client()


def committed(client) -> str:
    return str(StoreLocation(client.application.config["EXOOWL_SETTINGS"].store_path).current())


def test_an_authorised_update_is_applied_and_answered_with_what_it_did(client) -> None:
    response = client.post(
        "/sparql", data=f"INSERT DATA {{ GRAPH <{EX}g> {{ <{EX}s> <{EX}p> 1 }} }}", headers={**AUTH, **UPDATE}
    )
    assert response.status_code == 200 and response.json["graphs"][f"{EX}g"] == 1
    asked = client.get("/sparql", query_string={"query": f"ASK {{ <{EX}s> <{EX}p> 1 }}"})
    assert asked.json["boolean"] is True


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong-token-wrong-token"}, 401),
        ({"Authorization": f"Basic {TOKEN}"}, 401),
        ({"Authorization": "Bearer"}, 401),
    ],
)
def test_writes_without_the_token_are_401_and_never_echo_it(client, headers, status) -> None:
    before = committed(client)
    for response in (
        client.post("/sparql", data="CLEAR ALL", headers={**headers, **UPDATE}),
        client.put(f"/store?graph={EX}g", data=f"<{EX}a> <{EX}b> <{EX}c> .", headers={**headers, **TURTLE}),
        client.delete("/store?default", headers=headers),
    ):
        assert response.status_code == status and response.headers["WWW-Authenticate"].startswith("Bearer")
        assert TOKEN not in response.get_data(as_text=True)
    assert committed(client) == before


def test_a_token_shorter_than_16_characters_is_refused_at_start() -> None:
    with pytest.raises(UsageError, match="at least 16"):
        load_settings({"update_token": "short"}, environ={})
    with pytest.raises(UsageError, match="at least 16"):
        load_settings(environ={"EXOOWL_UPDATE_TOKEN": "fifteen-chars!!"})


def test_an_update_that_would_violate_a_shape_is_422_with_the_report_and_nothing_changes(client) -> None:
    before = committed(client)
    response = client.post("/sparql", data=BAD_LINE, headers={**AUTH, **UPDATE})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    report = response.json["report"]
    assert report["conforms"] is False and report["violations"] >= 1
    assert any(r["focus"] == f"{EX}line" and r["path"].endswith("cellosaurusId") for r in report["results"])
    assert committed(client) == before
    assert client.get("/sparql", query_string={"query": f"ASK {{ <{EX}line> ?p ?o }}"}).json["boolean"] is False


@pytest.mark.parametrize(
    "update",
    [
        "LOAD <http://example.org/data.ttl>",
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "CLEAR XYZ",
    ],
)
def test_unsafe_or_malformed_updates_are_400(client, update) -> None:
    response = client.post("/sparql", data=update, headers={**AUTH, **UPDATE})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_graph_store_put_get_post_delete_round_trip(client) -> None:
    url = f"/store?graph={EX}lab"
    put = client.put(url, data=f"<{EX}a> <{EX}b> 'one' .", headers={**AUTH, **TURTLE})
    assert put.status_code == 201 and put.json["created"] is True
    assert client.put(url, data=f"<{EX}a> <{EX}b> 'two' .", headers={**AUTH, **TURTLE}).status_code == 204
    post = client.post(
        url, data=f'[{{"@id": "{EX}a", "{EX}c": "three"}}]', headers={**AUTH, "Content-Type": "application/ld+json"}
    )
    assert post.status_code == 200
    got = client.get(url, headers={"Accept": "application/n-triples"})
    assert got.status_code == 200 and got.mimetype == "application/n-triples"
    graph = Graph().parse(data=got.get_data(as_text=True), format="nt")
    assert sorted(str(o) for o in graph.objects(URIRef(f"{EX}a"))) == ["three", "two"]
    assert client.head(url).status_code == 200
    assert client.delete(url, headers=AUTH).status_code == 200
    assert client.get(url).status_code == 404 and client.delete(url, headers=AUTH).status_code == 404


def test_graph_store_post_to_the_store_creates_a_graph_and_says_where(client) -> None:
    response = client.post("/store", data=f"<{EX}a> <{EX}b> <{EX}c> .", headers={**AUTH, **TURTLE})
    assert response.status_code == 201
    location = response.headers["Location"]
    assert location.startswith("http://127.0.0.1:8000/store/")  # the configured address, not the Host header
    assert client.get(location.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_graph_iris_never_follow_the_host_header(client, built_mini: Settings) -> None:
    """A client's Host header does not name graphs; EXOOWL_PUBLIC_URL does, when set."""
    response = client.post(
        "/store", data=f"<{EX}a> <{EX}b> <{EX}c> .", headers={**AUTH, **TURTLE, "Host": "evil.example"}
    )
    assert response.headers["Location"].startswith("http://127.0.0.1:8000/store/")
    direct = client.put(
        "/store/lab/one", data=f"<{EX}a> <{EX}b> <{EX}c> .", headers={**AUTH, **TURTLE, "Host": "evil.example"}
    )
    assert direct.status_code == 201
    assert client.get("/store", query_string={"graph": "http://127.0.0.1:8000/store/lab/one"}).status_code == 200
    public = create_app(replace(built_mini, update_token=TOKEN, public_url="https://exoowl.example.org")).test_client()
    response = public.post(
        "/store", data=f"<{EX}a> <{EX}b> <{EX}c> .", headers={**AUTH, **TURTLE, "Host": "evil.example"}
    )
    assert response.headers["Location"].startswith("https://exoowl.example.org/store/")


@pytest.mark.parametrize(
    "method, url, data, headers, status",
    [
        ("put", f"/store?graph={EX}g", "<http://a> <http://b> .", TURTLE, 400),  # does not parse
        ("put", f"/store?graph={EX}g", "whatever", {"Content-Type": "image/png"}, 415),
        ("put", "/store?graph=not an iri", "", TURTLE, 400),
        ("put", f"/store?graph={EX}g&default", "", TURTLE, 400),
        ("get", "/store", None, {}, 400),
        (
            "put",
            f"/store?graph={EX}g",
            f"<{EX}a> <{EX}b> <{EX}c> <{EX}g2> .",
            {"Content-Type": "application/n-quads"},
            400,
        ),
    ],
)
def test_graph_store_bad_requests_are_4xx_problems_and_change_nothing(
    client, method, url, data, headers, status
) -> None:
    before = committed(client)
    response = getattr(client, method)(url, data=data, headers={**AUTH, **headers})
    assert response.status_code == status and response.mimetype == "application/problem+json"
    assert committed(client) == before


def test_graph_store_writes_pass_the_shacl_gate_too(client) -> None:
    body = (
        f"<{EX}line> a <https://w3id.org/exoowl/ontology/CellLine> ; "
        "<https://w3id.org/exoowl/ontology/cellosaurusId> 'x' ."
    )
    response = client.put(f"/store?graph={EX}lab", data=body, headers={**AUTH, **TURTLE})
    assert response.status_code == 422 and response.json["report"]["violations"] >= 1
    assert client.get(f"/store?graph={EX}lab").status_code == 404


def test_statistics_of_imported_graphs_carry_over_writes_and_follow_imports(built_mini: Settings, tmp_path) -> None:
    """Imported graphs are counted when imported, not again after every write (seconds at
    millions of triples); a new import is counted anew (writes cannot change imported graphs)."""
    from exoowl.importers import import_file
    from exoowl.service import GraphStatistics
    from exoowl_server.state import StoreHandle

    rows = (
        "CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n"
        "1\tprotein\t967\tCD63\tHuman\t1\tMS\n"
    )
    source = tmp_path / "cargo.txt"
    source.write_text(rows)
    location = StoreLocation(built_mini.store_path)
    graph = import_file(location, "exocarta", source).graph
    handle = StoreHandle(built_mini)
    counted = {s.graph: s for s in handle.statistics()}
    app = create_app(replace(built_mini, update_token=TOKEN))
    client = app.test_client()
    update = f"INSERT DATA {{ GRAPH <{EX}new> {{ <{EX}x> <{EX}y> 2 }} }}"
    assert client.post("/sparql", data=update, headers={**AUTH, **UPDATE}).status_code == 200
    after = {s.graph: s for s in handle.statistics()}
    assert after[graph] == counted[graph]  # carried over, not counted again
    assert isinstance(after[f"{EX}new"], GraphStatistics) and after[f"{EX}new"].triples == 1
    source.write_text(rows + "2\tprotein\t7082\tTJP1\tHuman\t1\tMS\n")
    import_file(location, "exocarta", source)  # a new import is counted anew
    assert {s.graph: s for s in handle.statistics()}[graph].triples > counted[graph].triples


ONTOLOGY, INFERRED = "https://w3id.org/exoowl/graph/ontology", "https://w3id.org/exoowl/graph/inferred"
IMPORTED = "https://w3id.org/exoowl/graph/import/vesiclepedia/mirna"


@pytest.mark.parametrize(
    "update",
    [
        f"INSERT DATA {{ GRAPH <{ONTOLOGY}> {{ <{EX}a> <{EX}b> 1 }} }}",
        f"DELETE WHERE {{ GRAPH <{INFERRED}> {{ ?s ?p ?o }} }}",
        f"WITH <{ONTOLOGY}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        f"DROP GRAPH <{IMPORTED}>",
        f"CLEAR GRAPH <{ONTOLOGY}>",
        f"MOVE <{ONTOLOGY}> TO <{EX}copy>",
        f"COPY <{EX}mine> TO <{INFERRED}>",
        "INSERT { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }",
        "CLEAR ALL",
        "DROP NAMED",
    ],
)
def test_built_and_imported_graphs_are_read_only_through_the_endpoint(client, update: str) -> None:
    """A token holder cannot skip the SHACL gate by writing into graphs it does not validate."""
    before = committed(client)
    response = client.post("/sparql", data={"update": update}, headers=AUTH)
    assert response.status_code == 403 and "read-only" in response.json["detail"], response.json
    assert committed(client) == before


@pytest.mark.parametrize("method", ["put", "post", "delete"])
@pytest.mark.parametrize("graph", [ONTOLOGY, INFERRED, IMPORTED])
def test_graph_store_writes_to_read_only_graphs_are_403(client, method: str, graph: str) -> None:
    before = committed(client)
    response = getattr(client, method)(
        "/store", query_string={"graph": graph}, data=f"<{EX}a> <{EX}b> 1 .", headers={**AUTH, **TURTLE}
    )
    assert response.status_code == 403 and committed(client) == before


def test_writes_to_own_graphs_and_reads_of_built_ones_still_work(client) -> None:
    update = f"INSERT {{ GRAPH <{EX}mine> {{ ?c <{EX}seen> true }} }} WHERE {{ GRAPH <{ONTOLOGY}> {{ ?c a ?t }} }}"
    response = client.post("/sparql", data={"update": update}, headers=AUTH)
    assert response.status_code == 200, response.json
