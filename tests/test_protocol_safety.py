"""The SPARQL reader behind the endpoint's refusals: SERVICE, FROM / FROM NAMED, LOAD, the limits,
and the parser's confirmation that no SERVICE or LOAD hides where the tokenizer did not see one."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest

from exoowl.errors import QuerySyntaxError, RefusedQuery, UsageError
from exoowl.sparql_safety import (
    ENGINE_LIMITS,
    Limits,
    Policy,
    RemoteAccess,
    analyse,
    confirmation_copy,
    named_node,
    refuse_crashing,
    update_targets,
    with_using,
)

GRAPHS = ["http://example.org/g1"]


def policy(allow: str = "") -> Policy:
    return Policy(RemoteAccess.parse(allow))


def refused(text: str, allow: str = "", dataset_given: bool = False, base_iri: str | None = None) -> bool:
    try:
        policy(allow).query(text, lambda: GRAPHS, dataset_given=dataset_given, base_iri=base_iri)
    except (RefusedQuery, QuerySyntaxError):
        return True
    return False


def update_refused(text: str, allow: str = "") -> bool:
    try:
        policy(allow).update(text)
    except (RefusedQuery, QuerySyntaxError):
        return True
    return False


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * { SERVICE <http://remote/sparql> { ?s ?p ?o } }",
        "select * { service silent <http://remote/sparql> { ?s ?p ?o } }",
        "SELECT * { ?s ?p ?o SERVICE ?endpoint { ?s ?p ?o } }",
        "PREFIX r: <http://remote/>\nSELECT * { # a comment\n SeRvIcE r:sparql { ?s ?p ?o } }",
        "SELECT * { FILTER(?a<?b)'>'<p><http://e/#>.SERVICE<http://e/>{}'x'<p><o>}",
    ],
)
def test_service_clauses_are_refused(text: str) -> None:
    assert refused(text)


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "call the SERVICE <http://remote/> { }" }',
        "SELECT * { ?s ?p '''multi\nline SERVICE <http://remote/> {}''' }",
        "SELECT * { ?s ?p ?o } # SERVICE <http://remote/> { ?s ?p ?o }",
        "SELECT ?service { ?service <http://x/SERVICE> ?o }",
        "PREFIX ex: <http://x/> SELECT * { ?s ex:service ?o }",
        "SELECT * { ?s ?p 'it\\'s a SERVICE' }",
        "SELECT * { ?s <http://x/p#SERVICE> ?o }",
        "SELECT * { ?s ?p 'a\\u0027 SERVICE <http://remote/> {}' }",
        "PREFIX service: <http://x/> SELECT * { ?s service:load ?o }",
    ],
)
def test_service_in_strings_iris_comments_and_names_is_not_a_clause(text: str) -> None:
    assert not refused(text)
    assert analyse(text).services == ()


def test_an_escaped_iri_does_not_hide_a_service_call() -> None:
    """`\\u` escapes are part of an IRI (the engine reads <http://x/A'>): the quote after it does
    not open a string, so the SERVICE after it is seen, with an allow-list or without."""
    text = (
        "SELECT * WHERE { SERVICE <http://allowed.example/sparql> {} BIND(<http://x/\\u0041'> AS ?z) "
        "SERVICE <http://elsewhere.example/> {} }"
    )
    assert analyse(text).services == ("http://allowed.example/sparql", "http://elsewhere.example/")
    assert refused(text, allow="http://allowed.example/")
    assert refused(text)
    assert not refused(text.replace("SERVICE <http://elsewhere.example/> {}", ""), allow="http://allowed.example/")


def test_an_escaped_iri_does_not_hide_a_load() -> None:
    text = (
        "LOAD <http://allowed.example/a.ttl> ; INSERT DATA { <http://x/\\u0041'> <http://x/p> 1 } ; "
        "LOAD <http://elsewhere.example/b.ttl>"
    )
    assert analyse(text).loads == ("http://allowed.example/a.ttl", "http://elsewhere.example/b.ttl")
    assert update_refused(text, allow="http://allowed.example/")


def test_targets_are_resolved_as_the_engine_resolves_them() -> None:
    """Escapes in the IRI, prefixes, BASE and the request's base IRI all count."""
    assert analyse("SELECT * { SERVICE <http://ev\\u0069l.example/> {} }").services == ("http://evil.example/",)
    assert analyse("BASE <http://b.example/dir/> SELECT * { SERVICE <../s> {} }").services == ("http://b.example/s",)
    assert analyse("SELECT * { SERVICE <s> {} }", "http://here.example/sparql").services == ("http://here.example/s",)
    assert analyse("PREFIX e: <http://e.example/> SELECT * { SERVICE e:a\\/b {} }").services == (
        "http://e.example/a/b",
    )
    assert not refused("SELECT * { SERVICE <http://allow\\u0065d.example/s> {} }", allow="http://allowed.example/")


def test_a_prefix_redefined_later_in_an_update_does_not_fool_the_allow_list() -> None:
    text = "PREFIX a: <http://elsewhere.example/> LOAD a:x ; PREFIX a: <http://allowed.example/> LOAD a:y"
    assert update_refused(text, allow="http://allowed.example/")


def test_a_keyword_the_tokenizer_misses_is_caught_by_the_parser() -> None:
    """Whatever the tokenizer got wrong, the copy the parser reads has every other 'service'
    renamed: a real SERVICE keyword among them no longer parses, so the request is refused."""
    copy, _ = confirmation_copy("SELECT * { SERVICE <http://a/> {} ?s <http://x/service> 'Service' }", update=False)
    assert copy == "SELECT * { GRAPH   <http://a/> {} ?s <http://x/servic\u00b7> 'Servic\u00b7' }"
    copy, _ = confirmation_copy("PREFIX x: <http://x/> LOAD <http://a/> ; INSERT DATA { x:load x:p 1 }", update=True)
    assert (
        copy.startswith("PREFIX x: <http://x/> CREATE GRAPH") and "LOAD <http://a/>" in copy and "x:loa\u00b7" in copy
    )


def test_checks_never_run_the_request(http_listener) -> None:
    """The allowed SERVICE and LOAD are not fetched by the check (the write fetches LOAD once)."""
    url = http_listener.url
    policy(url).query(f"SELECT * {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}")
    policy(url).query(f"ASK {{ SERVICE <{url}sparql> {{ ?s ?p ?o }} }}")
    policy(url).update(f"LOAD <{url}data.ttl> ; INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}s> {{ ?s ?p ?o }} }}")
    assert http_listener.hits == []


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


@pytest.mark.parametrize(
    "iri, allowed",
    [
        ("https://sparql.uniprot.org/sparql", True),
        ("https://sparql.uniprot.org.evil.example/sparql", False),
        ("https://sparql.uniprot.org@evil.example/sparql", False),
        ("https://user@sparql.uniprot.org/sparql", False),
        ("http://sparql.uniprot.org/sparql", False),
        ("https://sparql.uniprot.org:8443/sparql", False),
        ("https://SPARQL.uniprot.org/sparql", True),
        ("https://evil.example/sparql", False),
        ("https://sparql.uniprot.or/sparql", False),
        ("https://a.example/sparql", False),
    ],
)
def test_the_allow_list_compares_hosts_not_text(iri: str, allowed: bool) -> None:
    assert RemoteAccess.parse("https://sparql.uniprot.org").allows(iri) is allowed


@pytest.mark.parametrize(
    "iri, allowed",
    [
        ("http://data.example/public/a.ttl", True),
        ("http://data.example/public/../private/a.ttl", False),
        ("http://data.example/public/%2e%2e/private/a.ttl", False),
        ("file:///srv/public/a.ttl", True),
        ("file:///srv/public/../../etc/passwd", False),
    ],
)
def test_the_allow_list_resolves_dot_segments(iri: str, allowed: bool) -> None:
    assert RemoteAccess.parse("http://data.example/public/ file:///srv/public/").allows(iri) is allowed


@pytest.mark.parametrize(
    "update, allow, refused_",
    [
        ("LOAD <http://remote.example/data.ttl>", "", True),
        (
            "LOAD SILENT <http://remote.example/data.ttl> INTO GRAPH <http://example.org/g>",
            "http://remote.example/",
            False,
        ),
        ("LOAD <file:///etc/passwd>", "http://remote.example/", True),
        ("PREFIX r: <http://remote.example/> LOAD r:data.ttl", "http://remote.example/", False),
        ("LOAD <http://remote.example/data.ttl>", "*", False),
    ],
)
def test_load_follows_the_allow_list(update: str, allow: str, refused_: bool) -> None:
    assert update_refused(update, allow) is refused_


def test_load_sources_are_read_with_prefixes() -> None:
    assert analyse("PREFIX r: <http://r/> LOAD SILENT r:a ; LOAD <http://b/> INTO GRAPH <http://g/>").loads == (
        "http://r/a",
        "http://b/",
    )


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


@pytest.mark.parametrize(
    "text, form",
    [
        ("PREFIX select: <http://x/> ASK { ?s select:p ?o }", "ASK"),
        ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o { ?s ?p ?o } } }", "CONSTRUCT"),
        ("# SELECT\nDESCRIBE <http://x/>", "DESCRIBE"),
    ],
)
def test_query_form(text: str, form: str) -> None:
    assert analyse(text).form == form


def test_updates_that_load_or_call_a_service_are_refused() -> None:
    assert update_refused("LOAD <http://remote/data.ttl>")
    assert update_refused("INSERT { ?s ?p ?o } WHERE { SERVICE <http://remote/> { ?s ?p ?o } }")
    assert not update_refused('INSERT DATA { <http://x/s> <http://x/p> "LOAD <http://remote/>" }')


@pytest.mark.parametrize(
    "text",
    [
        "CLEAR XYZ",
        "PREFIX x: <http://x/> INSERT XYZ",
        "PREFIX x: <http://x/>\nINSERT XYZ",
        "INSERT DATA { <http://a/> }\n ; CLEAR XYZ",
        "BASE <http://b/> DROP",
        "BASE <b> CLEAR ALL",
    ],
)
def test_syntax_errors_point_into_the_request(text: str) -> None:
    """The parse-only operations put before an update do not move the parser's line and column:
    the error is where pyoxigraph puts it for the request itself."""
    with pytest.raises(SyntaxError) as original:
        ox.Store().update(text)
    with pytest.raises(QuerySyntaxError) as ours:
        policy().update(text)
    position = re.compile(r"error at \d+:\d+")
    assert position.search(ours.value.message).group() == position.search(str(original.value)).group()


@pytest.mark.parametrize(
    "text, update, allow",
    [
        ("SELECT * FROM NAMED", False, "*"),
        ("SELECT ?s FROM NAMED", False, "*"),
        ("SELECT * WHERE { SERVICE", False, "*"),
        ("SELECT * WHERE { SERVICE SILENT", False, "*"),
        ("LOAD", True, "*"),
        ("INSERT DATA { } ; LOAD SILENT", True, "*"),
    ],
)
def test_a_request_cut_short_after_a_keyword_is_a_syntax_error(text: str, update: bool, allow: str) -> None:
    """Not an IndexError (a 500) from the reader looking past the last token."""
    with pytest.raises(QuerySyntaxError):
        policy(allow).update(text) if update else policy(allow).query(text, lambda: GRAPHS)


def test_a_query_syntax_error_keeps_its_position() -> None:
    policy().update("CLEAR ALL")
    with pytest.raises(QuerySyntaxError, match="error at 2:"):
        policy().query("SELECT *\nWHERE { ?s ?p }")


@pytest.mark.parametrize(
    "text",
    [
        "ASK { FILTER(" + "!" * 10_000 + "true) }",
        "ASK { FILTER(" + "+".join(["1"] * 50_000) + " > 0) }",
        "ASK { FILTER(" + "||".join(["true"] * 50_000) + ") }",
        "ASK { FILTER(1 " + " ".join(["-1"] * 10_000) + " > 0) }",
        "SELECT * { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(3000)) + " }",
        "ASK { " + " UNION ".join(["{}"] * 8000) + " }",
    ],
)
def test_operator_chains_that_crash_the_parser_are_refused_before_it(text: str) -> None:
    with pytest.raises(RefusedQuery, match="operators and group elements"):
        refuse_crashing(text)


def test_ground_data_and_value_lists_are_not_operator_chains() -> None:
    data = "INSERT DATA { " + " ".join(f"<http://x/s{i}> <http://x/p> -{i} ." for i in range(5000)) + " }"
    assert analyse(data).deepening < 5
    values = "SELECT * { VALUES ?x { " + " ".join(f"<http://x/{i}>" for i in range(5000)) + " } }"
    assert analyse(values).deepening < 5
    refuse_crashing(data)
    refuse_crashing(values)


def test_limits_count_tokens() -> None:
    with pytest.raises(RefusedQuery, match="tokens"):
        Limits(max_tokens=10).check("SELECT * { ?s ?p ?o . ?a ?b ?c . ?d ?e ?f }")
    assert ENGINE_LIMITS.max_tokens > 500_000  # more than a 1 MiB request can hold


@pytest.mark.parametrize("value", ["http://a b", "<>", "", "x", "http://a/>", "http://a/\ud800", "http://a/{"])
def test_named_node_refuses_what_is_not_an_absolute_iri(value: str) -> None:
    with pytest.raises(UsageError, match="absolute IRI"):
        named_node(value, "using-graph-uri")


def test_delete_where_with_a_protocol_dataset_becomes_delete_using_where() -> None:
    """DELETE WHERE cannot carry USING: the pattern is written out as its template, whole."""
    rewritten = with_using("DELETE WHERE { ?s <urn:p> ?o }", [ox.NamedNode("urn:g")], [ox.NamedNode("urn:n")])
    assert rewritten == "DELETE { ?s <urn:p> ?o } USING <urn:g> USING NAMED <urn:n> WHERE { ?s <urn:p> ?o }"
    policy().update(rewritten)


def test_using_graphs_are_terms_so_they_cannot_add_operations(http_listener) -> None:
    """A using-graph-uri that tries to close the IRI and add a LOAD is not an IRI: refused. Even
    built as text by hand, the final update is what the policy checks, and its LOAD is refused."""
    hostile = f"urn:x> WHERE {{}} ; LOAD <{http_listener.url}x.ttl> ; INSERT {{ <urn:a> <urn:b> <urn:c> }} USING <urn:y"
    with pytest.raises(UsageError):
        named_node(hostile, "using-graph-uri")
    spliced = f"INSERT {{ <urn:a> <urn:b> <urn:c> }} USING <{hostile}> WHERE {{ }}"
    assert update_refused(spliced)
    assert (
        with_using("INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }", [ox.NamedNode("urn:g")], [])
        == "INSERT { ?s ?p 1 } USING <urn:g> WHERE { ?s ?p ?o }"
    )
    assert http_listener.hits == []


@pytest.mark.parametrize(
    "update, graphs, unnamed",
    [
        ("INSERT DATA { <urn:s> <urn:p> 1 }", {""}, False),
        ("INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }", {"urn:g"}, False),
        (
            "PREFIX g: <urn:graph:> DELETE DATA { GRAPH g:a { <urn:s> <urn:p> 1 } <urn:s> <urn:p> 2 }",
            {"urn:graph:a", ""},
            False,
        ),
        (
            "WITH <urn:w> DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { GRAPH <urn:read> { ?s ?p ?o } }",
            {"urn:w"},
            False,
        ),
        ("INSERT { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p ?o } }", set(), True),
        ("DELETE WHERE { GRAPH <urn:d> { ?s ?p ?o } }", {"urn:d"}, False),
        ("CLEAR ALL", {""}, True),
        ("DROP SILENT NAMED", set(), True),
        ("DROP GRAPH <urn:x> ; CLEAR DEFAULT", {"urn:x", ""}, False),
        ("LOAD <http://a/x.ttl> INTO GRAPH <urn:l> ; LOAD <http://a/y.ttl>", {"urn:l", ""}, False),
        ("MOVE <urn:a> TO GRAPH <urn:b>", {"urn:a", "urn:b"}, False),
        ("COPY DEFAULT TO <urn:c> ; ADD SILENT <urn:e> TO DEFAULT", {"urn:c", ""}, False),
        ("CREATE GRAPH <urn:new>", {"urn:new"}, False),
    ],
)
def test_update_targets_are_the_graphs_it_writes(update: str, graphs: set, unnamed: bool) -> None:
    policy("http://a/").update(update)  # they are updates the policy lets through
    targets = update_targets(update)
    assert (set(targets.graphs), targets.unnamed) == (graphs, unnamed)


def test_a_group_of_hundreds_of_triple_patterns_is_refused_before_the_planner_sees_it() -> None:
    """pyoxigraph takes 12 s to plan 200 patterns of one group, over a minute for 300."""
    many = "ASK { " + " . ".join(f"?s <http://x/p{i}> ?o{i}" for i in range(200)) + " }"
    with pytest.raises(RefusedQuery, match="triple patterns"):
        refuse_crashing(many)
    few = "SELECT * { " + " . ".join(f"?s <http://x/p{i}> ?o{i}" for i in range(40)) + " FILTER(?o1 IN (1, 2, 3)) }"
    assert 39 <= analyse(few).patterns < 50
    data = "INSERT DATA { " + " ".join(f"<http://x/s{i}> <http://x/p> {i} ." for i in range(5000)) + " }"
    assert analyse(data).patterns == 0


def test_commas_inside_parentheses_are_not_triple_patterns() -> None:
    """A long IN list or function call is one pattern's filter, not hundreds of patterns."""
    listed = "ASK { ?s ?p ?o FILTER(?o IN (" + ", ".join(str(i) for i in range(400)) + ")) }"
    assert analyse(listed).patterns == 0
    refuse_crashing(listed)
    policy().query(listed)
    called = "SELECT (CONCAT(" + ", ".join(f"'{i}'" for i in range(300)) + ") AS ?c) { }"
    assert analyse(called).patterns == 0
