"""Valid SPARQL 1.1 that pyoxigraph alone refuses or cannot evaluate gets an answer or a 4xx, never a
500: casts to the XSD integer types (xsd:int, …), prefixed names with several dots in their local part
(ec:1.1.1.353), and a call of an unknown function (a 400 naming it). The store, the CLI and a live
server are the real ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import served_mini
from test_cli import exoowl_env
from test_server import start_server

from exoowl.errors import QuerySyntaxError, UnsupportedFunction
from exoowl.sparql_functions import INTEGER_TYPES
from exoowl.sparql_safety import dotted_names_expanded
from exoowl.store import Store

XSD = "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
ENZYME = "http://purl.uniprot.org/enzyme/1.1.1.353"


@pytest.fixture
def store() -> Store:
    store = Store.in_memory()
    store.db.add(ox.Quad(ox.NamedNode("urn:protein"), ox.NamedNode("urn:ec"), ox.NamedNode(ENZYME)))
    return store


def cast(store: Store, expression: str) -> str | None:
    (row,) = list(store.query(f"{XSD}SELECT ({expression} AS ?v) WHERE {{}}"))
    return None if row["v"] is None else row["v"].value


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('xsd:int("42")', "42"),
        ('xsd:int(" -7 ")', "-7"),
        ("xsd:int(12.9)", "12"),  # decimals truncate toward zero
        ('xsd:int("-3.7e0"^^xsd:double)', "-3"),
        ("xsd:byte(true)", "1"),
        ('xsd:int("2147483648")', None),  # one past xsd:int's maximum
        ('xsd:long("2147483648")', "2147483648"),
        ("xsd:unsignedByte(-1)", None),
        ("xsd:positiveInteger(0)", None),
        ("xsd:nonNegativeInteger(0)", "0"),
        ('xsd:int("4.5")', None),  # not the integer lexical form
        ('xsd:int("NaN"^^xsd:double)', None),
        ('xsd:int("5"@en)', None),  # a language-tagged string has no cast
        ("xsd:int(<urn:x>)", None),
    ],
)
def test_casts_to_the_xsd_integer_types(store: Store, expression: str, expected: str | None) -> None:
    assert cast(store, expression) == expected


def test_every_integer_type_is_answered_within_its_range(store: Store) -> None:
    integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")  # pyoxigraph keeps derived integers so
    for name, (low, high) in INTEGER_TYPES.items():
        (row,) = list(store.query(f'{XSD}SELECT (xsd:{name}("1") AS ?one) (xsd:{name}("-1") AS ?minus) WHERE {{}}'))
        assert (row["one"] == ox.Literal("1", datatype=integer)) == (high is None or high >= 1), name
        assert (row["minus"] == ox.Literal("-1", datatype=integer)) == (low is None or low <= -1), name


def test_prefixed_names_with_several_dots(store: Store) -> None:
    query = "PREFIX ec: <http://purl.uniprot.org/enzyme/>\nSELECT ?p WHERE { ?p <urn:ec> ec:1.1.1.353 }"
    assert [row["p"].value for row in store.query(query)] == ["urn:protein"]
    assert dotted_names_expanded(query) == query.replace("ec:1.1.1.353", f"<{ENZYME}>")
    assert dotted_names_expanded("SELECT * WHERE { ?s ?p 'ec:1.1.1.353' }") is None  # a string, not a name


def test_a_malformed_query_with_a_dotted_name_keeps_a_syntax_error(store: Store) -> None:
    with pytest.raises(QuerySyntaxError, match="dotted prefixed names written as IRIs"):
        store.query("PREFIX ec: <http://e/>\nSELECT * WHERE { ?s ?p ec:1.1.1.353 . FILTER( }")


def test_an_unknown_function_is_a_typed_error(store: Store) -> None:
    with pytest.raises(UnsupportedFunction, match=r"<http://example\.org/f>"):
        store.query("SELECT (<http://example.org/f>(1) AS ?v) WHERE {}")


def test_an_update_with_a_dotted_name_and_a_cast(store: Store) -> None:
    from exoowl.write import run_update

    run_update(
        store,
        f"{XSD}PREFIX ec: <http://purl.uniprot.org/enzyme/>\n"
        'INSERT { <urn:n> <urn:v> ?v } WHERE { ?p <urn:ec> ec:1.1.1.353 BIND(xsd:short("12") AS ?v) }',
        None,
    )
    assert cast(store, "xsd:int(12)") == "12"
    assert [row["v"].value for row in store.query("SELECT ?v WHERE { <urn:n> <urn:v> ?v }")] == ["12"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):
    settings = served_mini(tmp_path_factory, "sparql-extensions")
    server, url = start_server(settings)
    yield settings, url
    server.terminate()
    server.wait(timeout=60)


def test_the_endpoint_answers_casts_and_dotted_names_and_refuses_unknown_functions(live) -> None:
    _, url = live
    accept = {"Accept": "application/sparql-results+json"}
    answered = requests.get(url, params={"query": f'{XSD}SELECT (xsd:int("42") AS ?v) WHERE {{}}'}, headers=accept)
    assert answered.status_code == 200
    assert answered.json()["results"]["bindings"][0]["v"]["value"] == "42"
    dotted = "PREFIX ec: <http://purl.uniprot.org/enzyme/>\nASK { ?s ?p ec:1.1.1.353 }"
    assert requests.get(url, params={"query": dotted}, headers=accept).json()["boolean"] is False
    refused = requests.get(url, params={"query": "SELECT (<urn:no-such-function>(1) AS ?v) WHERE {}"})
    assert refused.status_code == 400 and refused.headers["Content-Type"].startswith("application/problem+json")
    assert refused.json()["title"] == "Unsupported function" and "urn:no-such-function" in refused.json()["detail"]


def test_the_command_line_exits_2_on_an_unknown_function(live) -> None:
    settings, _ = live
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("exoowl")),
            "query",
            "SELECT (<urn:no-such-function>(1) AS ?v) WHERE {}",
        ],
        env=exoowl_env(settings),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "urn:no-such-function" in done.stderr and "Traceback" not in done.stderr
