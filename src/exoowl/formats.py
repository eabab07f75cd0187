"""The result formats the endpoint writes: media types, the names clients use, W3C format IRIs.

``name`` is the key of :data:`exoowl.query.SELECT_FORMATS` / :data:`exoowl.query.GRAPH_FORMATS`;
``aliases`` are the other media types and the short names (``format=`` / ``output=`` values that
SPARQLWrapper and YASGUI send) that select it.
"""

from __future__ import annotations

from dataclasses import dataclass

W3C_FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format:
    name: str
    media_type: str
    iri: str
    aliases: tuple[str, ...] = ()

    @property
    def media_types(self) -> tuple[str, ...]:
        return (self.media_type, *(a for a in self.aliases if "/" in a))

    def answers_to(self, requested: str) -> bool:
        """Whether a ``format`` parameter value (short name or media type) names this format."""
        wanted = requested.split(";")[0].strip().lower()
        return wanted == self.name or wanted in self.media_types or wanted in self.aliases


def _fmt(name: str, media_type: str, iri: str, *aliases: str) -> Format:
    return Format(name, media_type, W3C_FORMATS + iri, aliases)


# The first of each tuple is the default (Accept missing or */*).
RESULT_FORMATS: tuple[Format, ...] = (
    _fmt("json", "application/sparql-results+json", "SPARQL_Results_JSON", "application/json"),
    _fmt("xml", "application/sparql-results+xml", "SPARQL_Results_XML", "application/xml", "text/xml"),
    _fmt("csv", "text/csv", "SPARQL_Results_CSV"),
    _fmt("tsv", "text/tab-separated-values", "SPARQL_Results_TSV"),
)
GRAPH_RESULT_FORMATS: tuple[Format, ...] = (
    _fmt("turtle", "text/turtle", "Turtle", "application/x-turtle", "ttl", "n3", "text/n3"),
    _fmt("ntriples", "application/n-triples", "N-Triples", "nt", "n-triples"),
    _fmt("rdfxml", "application/rdf+xml", "RDF_XML", "rdf+xml", "rdf", "xml", "application/xml", "text/xml"),
    _fmt("jsonld", "application/ld+json", "JSON-LD", "json-ld", "json", "application/json"),
    _fmt("nquads", "application/n-quads", "N-Quads", "nq"),
    _fmt("trig", "application/trig", "TriG"),
)
