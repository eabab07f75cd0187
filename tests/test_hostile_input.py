"""Hostile input, generated (hypothesis): malformed SPARQL, RDF, TSV and HTTP get a 4xx or a clear
error, never a 500 or a traceback, and never change stored data. Plus the edges: bodies at the
size limit, brackets nested past what the parser survives, huge literals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from test_cli import run

from exoowl.build import build
from exoowl.config import load_settings
from exoowl.curate import curated_graph
from exoowl.errors import ExoowlError, InputError
from exoowl.importers import import_file
from exoowl.sparql_safety import ENGINE_LIMITS
from exoowl.store import StoreLocation
from exoowl_server import create_app

MAX_NESTING = ENGINE_LIMITS.max_nesting

TOKEN = "a-token-for-hostile-input-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LIMIT = 4096
SPARQLISH = st.lists(
    st.sampled_from(
        [
            "SELECT",
            "ASK",
            "CONSTRUCT",
            "INSERT",
            "DELETE",
            "DATA",
            "WHERE",
            "GRAPH",
            "{",
            "}",
            "(",
            ")",
            "?s",
            "?p",
            "<http://e/x>",
            "'lit'",
            '"""',
            ".",
            ";",
            ",",
            "FILTER",
            "OPTIONAL",
            "UNION",
            "SERVICE",
            "LOAD",
            "CLEAR",
            "ALL",
            "DROP",
            "PREFIX",
            "e:",
            "BASE",
            "VALUES",
            "a",
            "#",
            "\\",
            "\x00",
            "é",
            "^^",
            "@en",
            "_:b",
        ]
    ),
    max_size=30,
).map(" ".join)
FUZZ = hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    """A built copy of the mini project served with writes enabled (and small limits)."""
    base = tmp_path_factory.mktemp("hostile")
    shutil.copytree(FIXTURES / "mini", base / "mini")
    settings = load_settings(
        {"root": base / "mini", "store": base / "var" / "store", "update_token": TOKEN, "max_request_bytes": LIMIT},
        environ={},
    )
    build(settings)
    return settings, create_app(settings).test_client()


def committed(settings) -> Path:
    return StoreLocation(settings.store_path).current()


@FUZZ
@given(text=st.one_of(st.text(max_size=200), SPARQLISH))
def test_any_query_text_gets_an_answer_or_a_4xx(served, text: str) -> None:
    _, client = served
    for response in (
        client.get("/sparql", query_string={"query": text}),
        client.post(
            "/sparql", data=text.encode("utf-8", "surrogatepass"), headers={"Content-Type": "application/sparql-query"}
        ),
    ):
        assert response.status_code < 500, response.get_data(as_text=True)
        assert response.status_code in (200, 400, 406, 415, 422) and response.mimetype != "text/html"


@FUZZ
@given(text=st.one_of(st.text(max_size=200), SPARQLISH))
def test_any_update_text_is_applied_whole_or_changes_nothing(served, text: str) -> None:
    settings, client = served
    before = committed(settings)
    response = client.post(
        "/sparql",
        data=text.encode("utf-8", "surrogatepass"),
        headers={**AUTH, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code != 200:
        assert committed(settings) == before


@FUZZ
@given(
    body=st.binary(max_size=300),
    media_type=st.sampled_from(
        [
            "text/turtle",
            "application/n-triples",
            "application/rdf+xml",
            "application/ld+json",
            "text/n3",
            "application/n-quads",
            "text/plain",
            "image/png",
            "",
            "multipart/form-data",
        ]
    ),
)
def test_any_graph_store_body_is_stored_or_refused_with_a_4xx(served, body: bytes, media_type: str) -> None:
    settings, client = served
    before = committed(settings)
    response = client.put(
        "/store?graph=http://example.org/fuzz",
        data=body,
        headers={**AUTH, **({"Content-Type": media_type} if media_type else {})},
    )
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert committed(settings) == before


@FUZZ
@given(
    cells=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30), min_size=1, max_size=6)
)
def test_any_curated_row_is_read_or_named_as_bad(tmp_path_factory: pytest.TempPathFactory, cells: list[str]) -> None:
    root = tmp_path_factory.mktemp("curated")
    shutil.copytree(FIXTURES / "mini" / "data", root / "data")
    lines = root / "data" / "curated" / "lines.tsv"
    lines.write_text(lines.read_text(encoding="utf-8") + "\t".join(cells).replace("\n", " ") + "\n", encoding="utf-8")
    try:
        curated_graph(root / "data" / "curated", root / "data" / "mappings")
    except InputError as error:
        assert "lines.tsv" in str(error)


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=20), min_size=0, max_size=9).map("\t".join), max_size=8))
def test_any_download_rows_import_or_are_reported(
    served, tmp_path_factory: pytest.TempPathFactory, rows: list[str]
) -> None:
    settings, _ = served
    source = tmp_path_factory.mktemp("download") / "rows.txt"
    header = "CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n"
    source.write_text(
        header + "\n".join(r.replace("\n", " ").replace("\r", " ") for r in rows) + "\n",
        encoding="utf-8",
        errors="surrogatepass",
    )
    location = StoreLocation(settings.store_path)
    before = location.current()
    try:
        report = import_file(location, "exocarta", source)
    except ExoowlError:
        assert location.current() == before
    else:
        assert report.records + report.bad_rows <= len(rows)


def test_bodies_at_the_limit_are_read_and_one_byte_more_is_413(served) -> None:
    _, client = served
    query = "ASK { ?s ?p ?o }"
    at_limit = query + " " * (LIMIT - len(query))
    assert (
        client.post("/sparql", data=at_limit, headers={"Content-Type": "application/sparql-query"}).status_code == 200
    )
    over = client.post("/sparql", data=at_limit + " ", headers={"Content-Type": "application/sparql-query"})
    assert over.status_code == 413
    assert client.get("/sparql", query_string={"query": query}).json["boolean"] is True  # and the next is answered


@pytest.mark.parametrize("opening, closing", [("{", "}"), ("(", ")"), ("[", "]")])
def test_brackets_nested_past_the_parser_are_refused_before_it(served, opening: str, closing: str) -> None:
    _, client = served
    depth = 5000  # pyoxigraph's parser overflows its stack (a segfault) somewhere below this
    body = {
        "{": f"SELECT * WHERE {'{' * depth} ?s ?p ?o {'}' * depth}",
        "(": f"ASK {{ FILTER({'(' * depth}1{')' * depth}) }}",
        "[": f"ASK {{ ?s ?p {'[ ?q ' * depth}1{' ]' * depth} }}",
    }[opening]
    response = client.post("/sparql", data=body.encode(), headers={"Content-Type": "application/sparql-query"})
    assert response.status_code in (400, 413)
    shallow = f"ASK {{ {'{' * (MAX_NESTING - 2)} ?s ?p ?o {'}' * (MAX_NESTING - 2)} }}"
    assert client.post("/sparql", data=shallow, headers={"Content-Type": "application/sparql-query"}).status_code in (
        200,
        413,
    )


def test_deep_nesting_is_refused_with_the_reason(tmp_path: Path) -> None:
    from exoowl.errors import RefusedQuery
    from exoowl.sparql_safety import refuse_crashing

    with pytest.raises(RefusedQuery, match="nests brackets 5000 deep"):
        refuse_crashing("SELECT * WHERE " + "{" * 5000 + "}" * 5000)
    assert refuse_crashing("SELECT * WHERE { ?s ?p '" + "{" * 5000 + "' }").nesting == 1


def test_a_huge_literal_is_stored_whole(served) -> None:
    settings, _ = served
    client = create_app(
        load_settings(
            {
                "root": settings.root,
                "store": settings.store_path,
                "update_token": TOKEN,
                "max_request_bytes": 4 * 1024 * 1024,
            },
            environ={},
        )
    ).test_client()
    literal = "x" * (3 * 1024 * 1024)
    update = (
        "INSERT DATA { GRAPH <http://example.org/huge> "
        f"{{ <http://example.org/s> <http://example.org/p> '{literal}' }} }}"
    )
    assert (
        client.post("/sparql", data=update, headers={**AUTH, "Content-Type": "application/sparql-update"}).status_code
        == 200
    )
    answer = client.get(
        "/sparql", query_string={"query": "SELECT (STRLEN(?o) AS ?n) WHERE { <http://example.org/s> ?p ?o }"}
    )
    assert answer.json["results"]["bindings"][0]["n"]["value"] == str(len(literal))


@pytest.mark.parametrize(
    "content",
    [
        b"\x00\xff\xfe garbage \x89PNG",
        "CONTENT ID,SPECIES\nä,ö\n".encode("latin-1"),
        b"",
        b"CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n"
        b'"unterminated\tprotein\t1\tX\tHuman\t1\tMS\n',
    ],
)
def test_the_command_line_answers_malformed_files_in_one_line(served, tmp_path: Path, content: bytes) -> None:
    settings, _ = served
    source = tmp_path / "download.txt"
    source.write_bytes(content)
    result = run(settings, "import", "exocarta", str(source))
    assert result.returncode in (0, 2) and "Traceback" not in result.stderr, result.stderr
    if result.returncode == 2:
        assert result.stderr.strip().splitlines()[-1].startswith("exoowl: error: ")
