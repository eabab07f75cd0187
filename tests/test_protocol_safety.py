"""The SPARQL reader behind the endpoint's refusals: SERVICE, FROM / FROM NAMED, LOAD."""
from __future__ import annotations

import pytest

from exoowl.errors import QuerySyntaxError, RefusedQuery
from exoowl.sparql_safety import (RemoteAccess, analyse, check_update_syntax, load_sources, refuse_unsafe,
                                  refuse_unsafe_update)

GRAPHS = ["http://example.org/g1"]


def refused(text: str, **options) -> bool:
    try:
        refuse_unsafe(text, GRAPHS, remote=RemoteAccess.parse(options.get("allow", "")),
                      dataset_given=options.get("dataset_given", False))
    except RefusedQuery:
        return True
    return False


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <http://remote/sparql> { ?s ?p ?o } }",
    "select * { service silent <http://remote/sparql> { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o SERVICE ?endpoint { ?s ?p ?o } }",
    "PREFIX r: <http://remote/>\nSELECT * { # a comment\n SeRvIcE r:sparql { ?s ?p ?o } }",
    "SELECT * { FILTER(?a<?b)'>'<p><http://e/#>.SERVICE<http://e/>{}'x'<p><o>}",
])
def test_service_clauses_are_refused(text: str) -> None:
    assert refused(text)


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "call the SERVICE <http://remote/> { }" }',
    "SELECT * { ?s ?p '''multi\nline SERVICE <http://remote/> {}''' }",
    "SELECT * { ?s ?p ?o } # SERVICE <http://remote/> { ?s ?p ?o }",
    "SELECT ?service { ?service <http://x/SERVICE> ?o }",
    "PREFIX ex: <http://x/> SELECT * { ?s ex:service ?o }",
    "SELECT * { ?s ?p 'it\\'s a SERVICE' }",
    "SELECT * { ?s <http://x/p#SERVICE> ?o }",
])
def test_service_in_strings_iris_comments_and_names_is_not_a_clause(text: str) -> None:
    assert not refused(text)
    assert analyse(text).services == ()


def test_service_is_allowed_when_remote_access_is() -> None:
    assert not refused("SELECT * { SERVICE <http://remote/> { ?s ?p ?o } }", allow="*")
    assert not refused("SELECT * { SERVICE <http://remote/> { ?s ?p ?o } }", allow="true")  # the old boolean form


def test_the_allow_list_names_iri_prefixes() -> None:
    query = "SELECT * { SERVICE <http://remote.example/sparql> { ?s ?p ?o } }"
    assert not refused(query, allow="http://other.example/ http://remote.example/")
    assert refused(query, allow="http://other.example/")
    assert refused("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", allow="http://remote.example/")  # needs *
    assert not refused("SELECT * FROM <http://remote.example/g> { ?s ?p ?o }", allow="http://remote.example/")
    assert refused("SELECT * FROM <file:///etc/passwd> { ?s ?p ?o }", allow="http://remote.example/")


@pytest.mark.parametrize("update, allow, refused_", [
    ("LOAD <http://remote.example/data.ttl>", "", True),
    ("LOAD SILENT <http://remote.example/data.ttl> INTO GRAPH <http://example.org/g>", "http://remote.example/", False),
    ("LOAD <file:///etc/passwd>", "http://remote.example/", True),
    ("PREFIX r: <http://remote.example/> LOAD r:data.ttl", "http://remote.example/", False),
    ("LOAD <http://remote.example/data.ttl>", "*", False),
])
def test_load_follows_the_allow_list(update: str, allow: str, refused_: bool) -> None:
    try:
        refuse_unsafe_update(update, remote=RemoteAccess.parse(allow))
    except RefusedQuery:
        assert refused_
    else:
        assert not refused_


def test_load_sources_are_read_with_prefixes() -> None:
    assert load_sources("PREFIX r: <http://r/> LOAD SILENT r:a ; LOAD <http://b/> INTO GRAPH <http://g/>") == \
        ["http://r/a", "http://b/"]


def test_from_must_name_a_graph_in_the_store() -> None:
    assert not refused("SELECT * FROM <http://example.org/g1> { ?s ?p ?o }")
    assert refused("SELECT * FROM <http://example.org/elsewhere> { ?s ?p ?o }")
    assert refused("SELECT * FROM NAMED <file:///etc/passwd> { GRAPH ?g { ?s ?p ?o } }")
    assert refused("PREFIX ex: <http://example.org/> SELECT * FROM NAMED ex:g2 { ?s ?p ?o }")
    assert not refused("BASE <http://example.org/> SELECT * FROM <g1> { ?s ?p ?o }")


def test_from_is_not_checked_when_the_protocol_gives_the_dataset() -> None:
    assert not refused("SELECT * FROM <http://example.org/elsewhere> { ?s ?p ?o }", dataset_given=True)


def test_from_inside_a_string_is_not_a_dataset_clause() -> None:
    features = analyse('SELECT * { ?s ?p "FROM <http://elsewhere/>" }')
    assert not features.declares_dataset and features.form == "SELECT"


@pytest.mark.parametrize("text, form", [
    ("PREFIX select: <http://x/> ASK { ?s select:p ?o }", "ASK"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o { ?s ?p ?o } } }", "CONSTRUCT"),
    ("# SELECT\nDESCRIBE <http://x/>", "DESCRIBE"),
])
def test_query_form(text: str, form: str) -> None:
    assert analyse(text).form == form


def test_updates_that_load_or_call_a_service_are_refused() -> None:
    with pytest.raises(RefusedQuery):
        refuse_unsafe_update("LOAD <http://remote/data.ttl>")
    with pytest.raises(RefusedQuery):
        refuse_unsafe_update("INSERT { ?s ?p ?o } WHERE { SERVICE <http://remote/> { ?s ?p ?o } }")
    refuse_unsafe_update('INSERT DATA { <http://x/s> <http://x/p> "LOAD <http://remote/>" }')


def test_update_syntax_is_checked_without_touching_data() -> None:
    check_update_syntax("CLEAR ALL")
    with pytest.raises(QuerySyntaxError, match="error at 1:"):
        check_update_syntax("CLEAR XYZ")
