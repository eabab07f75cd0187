"""The web pages with Flask's test client on the real project: YASGUI tabs, entity pages with content
negotiation, /ontology, /network and /network.json."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from exoowl.config import Settings
from exoowl.query import named_queries
from exoowl_server import create_app

GENE = URIRef("https://w3id.org/exoowl/id/gene/967")
KINDS = {"donor", "mirna", "cargo", "recipient", "target", "outcome"}


@pytest.fixture(scope="module")
def client(project: Settings):
    app = create_app(project)
    yield app.test_client()
    app.extensions["exoowl_store"].close()  # its store and query processes, now rather than at collection


def named_queries_on_page(page: str) -> list[dict[str, str]]:
    found = re.search(r'<script type="application/json" id="named-queries">(.*?)</script>', page, re.S)
    assert found, "the page carries no named queries"
    return json.loads(found.group(1))


def test_landing_page_has_yasgui_with_every_named_query_as_a_tab(client, project: Settings) -> None:
    page = client.get("/").data.decode()
    tabs = {q["name"]: q["sparql"] for q in named_queries_on_page(page)}
    expected = named_queries(project.queries_dir)
    assert set(tabs) == set(expected) and tabs["mirna-targets"] == expected["mirna-targets"].sparql
    assert "/assets/vendor/yasgui.min.js" in page and "/assets/exoowl-yasgui.js" in page
    assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', page), "no CDN: every script and style is ours"
    assert 'href="/ontology"' in page and 'href="/network"' in page and 'href="/ontology/exoowl.owl"' in page


def test_front_end_files_are_served_from_the_npm_packages(client) -> None:
    for name in ("yasgui.min.js", "yasgui.min.css", "cytoscape.min.js"):
        response = client.get(f"/assets/vendor/{name}")
        assert response.status_code == 200 and len(response.data) > 10_000, f"{name}: run `make install`"
        response.close()


def test_gene_page_for_browsers(client) -> None:
    response = client.get("/id/gene/967", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    page = response.data.decode()
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "<h1>CD63</h1>" in page and 'href="/ontology/Gene"' in page
    assert "ExoCarta" in page and "Vesiclepedia" in page and "https://www.ncbi.nlm.nih.gov/gene/967" in page
    assert 'href="/id/marker/CD63"' in page, "incoming links are shown"


def test_ontology_term_page_shows_definition_and_synonyms(client) -> None:
    page = client.get("/ontology/Exosome").data.decode()
    assert "endosomal origin" in page and "exosomal vesicle" in page
    assert 'href="/ontology/ExtracellularVesicle"' in page


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's JSON-LD parser uses ConjunctiveGraph
@pytest.mark.parametrize(
    "accept, fmt", [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/n-triples", "nt")]
)
def test_gene_as_rdf_by_content_negotiation(client, accept: str, fmt: str) -> None:
    response = client.get("/id/gene/967", headers={"Accept": accept})
    assert response.status_code == 200 and response.mimetype == accept and "Accept" in response.vary
    graph = Graph().parse(data=response.data.decode(), format=fmt)
    assert (GENE, RDFS.label, Literal("CD63")) in graph
    assert (URIRef("https://w3id.org/exoowl/id/protein/P08962"), None, GENE) in graph


def test_format_parameter_overrides_accept(client) -> None:
    response = client.get("/ontology/Exosome?format=ttl", headers={"Accept": "text/html"})
    assert response.mimetype == "text/turtle" and b"exoowl:Exosome" in response.data


@pytest.mark.parametrize("path", ["/id/gene/0", "/ontology/NoSuchClass", "/id/bad%20iri"])
def test_unknown_resource_is_a_404_problem(client, path: str) -> None:
    """A browser gets the problem as a page, a program as problem JSON."""
    page = client.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert page.status_code == 404 and page.mimetype == "text/html" and "404" in page.get_data(as_text=True)
    for accept in ("application/json", "*/*", "text/turtle"):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_an_error_page_escapes_what_the_request_said(client) -> None:
    page = client.get("/id/<script>alert(1)</script>", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_release_download_is_kept(client, project: Settings) -> None:
    response = client.get("/ontology/exoowl.owl")
    assert response.status_code == 200 and response.data == project.release_file.read_bytes()
    response.close()


def test_ontology_page_documents_the_release_and_its_classification(client, project: Settings) -> None:
    page = client.get("/ontology").data.decode()
    assert 'id="classes"' in page and "https://w3id.org/exoowl/ontology/Exosome" in page, "pyLODE's class list"
    tree = page[page.index('id="exoowl-release"') : page.index('id="metadata"')]
    assert 'href="/ontology/exoowl.owl"' in tree
    assert re.search(
        r'href="/ontology/ExtracellularVesicle"[^>]*>[^<]*</a>\s*<ul>.*?href="/ontology/Exosome"', tree, re.S
    )
    assert '<span class="inferred">inferred</span>' in tree
    cached = list((project.store_path.parent / "cache" / "ontology-doc").glob("*.html"))
    assert len(cached) == 1 and client.get("/ontology").data.decode() == page


def test_network_json_is_cytoscape_elements_with_page_links(client) -> None:
    data = client.get("/network.json").json
    assert data["findings"] == 47
    ids = {n["data"]["id"] for n in data["nodes"]}
    assert {n["data"]["kind"] for n in data["nodes"]} == KINDS
    assert all(n["data"]["href"].startswith("/id/") for n in data["nodes"])
    assert all(e["data"]["source"] in ids and e["data"]["target"] in ids for e in data["edges"])
    assert all(f.startswith("/id/finding/") for e in data["edges"] for f in e["data"]["findings"])
    labels = {n["data"]["label"] for n in data["nodes"] if n["data"]["kind"] == "mirna"}
    assert "hsa-miR-21-5p" in labels


@pytest.mark.parametrize(
    "facet, value", [("cancer", "exoid:cancer/breast-cancer"), ("process", "exoid:process/metastasis")]
)
def test_network_filters(client, facet: str, value: str) -> None:
    data = client.get("/network.json", query_string={facet: value}).json
    choice = next(c for c in data["facets"][facet] if c["iri"].endswith(value.split(":", 1)[1]))
    assert 0 < data["findings"] == choice["findings"] < 47


def test_network_filter_with_a_bad_value_is_a_400_problem(client) -> None:
    response = client.get("/network.json", query_string={"cancer": "not an iri"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_network_page_draws_with_local_cytoscape(client) -> None:
    page = client.get("/network").data.decode()
    assert "/assets/vendor/cytoscape.min.js" in page and "/assets/exoowl-network.js" in page
    assert 'value="https://w3id.org/exoowl/id/cancer/breast-cancer"' in page
    assert 'value="https://w3id.org/exoowl/id/process/metastasis"' in page


@pytest.mark.parametrize("path", ["/", "/network", "/ontology", "/id/gene/967"])
def test_html_pages_send_a_content_security_policy(client, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-eval" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_machine_answers_are_nosniff_without_a_page_policy(client) -> None:
    response = client.get("/sparql", query_string={"query": "ASK {}"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers


def test_a_page_lists_the_first_2000_referrers_and_says_how_many_there_are(tmp_path) -> None:
    from store_builder import commit_store

    from exoowl.config import load_settings

    target = "https://w3id.org/exoowl/id/gene/1"
    data = "".join(
        f"<https://w3id.org/exoowl/id/obs/{i}> <https://w3id.org/exoowl/ontology/observedMolecule> <{target}> .\n"
        for i in range(2500)
    ).encode()
    commit_store(tmp_path / "store", {"https://w3id.org/exoowl/graph/import/exocarta/cargo": data})
    client = create_app(load_settings({"root": tmp_path, "store": tmp_path / "store"}, environ={})).test_client()
    page = client.get("/id/gene/1", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "The first 2000 of 2,500 statements that refer to it" in page
    assert page.count('href="/id/obs/') == 2000


def test_an_ontology_pylode_cannot_document_is_a_503_problem_not_a_crash(tmp_path) -> None:
    from exoowl.errors import Unavailable
    from exoowl_server.web_ontology import _ontpub_html

    untitled = tmp_path / "untitled.ttl"
    untitled.write_text("<http://example.org/o> a <http://www.w3.org/2002/07/owl#Ontology> .\n", encoding="utf-8")
    with pytest.raises(Unavailable, match="documentation cannot be made"):
        _ontpub_html(untitled)
