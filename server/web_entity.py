"""Entity pages: each IRI of ours dereferences to HTML or RDF by content negotiation."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pyoxigraph as ox
from flask import Response, render_template, request

from exoowl.errors import NotFound
from exoowl.namespaces import BASE, PREFIXES
from exoowl.query import serialize, shorten

from .web_queries import Term, construct, display, href, select

RDFS, OBO, OBOINOWL, SKOS = PREFIXES["rdfs"], PREFIXES["obo"], PREFIXES["oboInOwl"], PREFIXES["skos"]
TYPE = PREFIXES["rdf"] + "type"
LABEL, SEE_ALSO, DEFINITION = RDFS + "label", RDFS + "seeAlso", OBO + "IAO_0000115"
SYNONYMS = {
    OBOINOWL + "hasExactSynonym": "exact",
    OBOINOWL + "hasRelatedSynonym": "related",
    OBOINOWL + "hasBroadSynonym": "broad",
    OBOINOWL + "hasNarrowSynonym": "narrow",
    SKOS + "altLabel": "alternative",
}
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
}
LINK_SOURCES = {
    "exocarta.org": "ExoCarta",
    "microvesicles.org": "Vesiclepedia",
    "mirbase.org": "miRBase",
    "ncbi.nlm.nih.gov": "NCBI Gene",
    "cellosaurus.org": "Cellosaurus",
    "uniprot.org": "UniProt",
    "genenames.org": "HGNC",
}
FORMAT_NAMES = {
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
    "rdf": "application/rdf+xml",
    "rdfxml": "application/rdf+xml",
    "html": "text/html",
}


INCOMING_SHOWN = 2000  # entity-incoming.rq's LIMIT


@dataclass
class Link:
    """A labelled resource (or literal) shown on a page."""

    text: str
    href: str | None = None
    iri: str | None = None


@dataclass
class Statement:
    predicate: Link
    value: Link


@dataclass
class Entity:
    iri: str
    labels: list[str] = field(default_factory=list)
    types: list[Link] = field(default_factory=list)
    definitions: list[str] = field(default_factory=list)
    synonyms: list[tuple[str, str]] = field(default_factory=list)
    links_out: list[Link] = field(default_factory=list)
    data: list[Statement] = field(default_factory=list)
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)
    incoming_total: int = 0  # all statements that refer to it; the page lists the first INCOMING_SHOWN

    @property
    def known(self) -> bool:
        """Whether any statement is about it or refers to it (blank-node objects aside)."""
        return any(
            (
                self.labels,
                self.types,
                self.definitions,
                self.synonyms,
                self.links_out,
                self.data,
                self.outgoing,
                self.incoming,
            )
        )

    @property
    def title(self) -> str:
        return self.labels[0] if self.labels else shorten(ox.NamedNode(self.iri))


def _link(term: Term, label: Term | None = None) -> Link:
    if isinstance(term, ox.NamedNode):
        return Link(display(term, label), href(term.value), term.value)
    return Link(display(term, label))


def _link_out(iri: str) -> Link:
    """A link out, named after the database it goes to (ExoCarta, Vesiclepedia, miRBase, …)."""
    host = urlsplit(iri).hostname or ""
    source = next(
        (name for domain, name in LINK_SOURCES.items() if host == domain or host.endswith("." + domain)), host
    )
    return Link(source, iri, iri)


def _sort_out(entity: Entity, row: dict[str, Term]) -> None:
    p, o = row["p"].value, row["o"]
    if p == LABEL:
        entity.labels.append(o.value)
    elif p == TYPE:
        entity.types.append(_link(o, row.get("oLabel")))
    elif p == DEFINITION:
        entity.definitions.append(o.value)
    elif p in SYNONYMS:
        entity.synonyms.append((o.value, SYNONYMS[p]))
    elif p == SEE_ALSO and isinstance(o, ox.NamedNode):
        entity.links_out.append(_link_out(o.value))
    else:
        target = entity.data if isinstance(o, ox.Literal) else entity.outgoing
        target.append(Statement(_link(row["p"], row.get("pLabel")), _link(o, row.get("oLabel"))))


def _dedupe(rows: list[dict[str, Term]], keys: tuple[str, str]) -> list[dict[str, Term]]:
    """One row per (predicate, resource): the query yields one per label combination."""
    seen: dict[tuple[Term, Term], dict[str, Term]] = {}
    for row in rows:
        seen.setdefault((row[keys[0]], row[keys[1]]), row)
    return list(seen.values())


def describe(iri: str) -> Entity:
    node = ox.NamedNode(iri)
    entity = Entity(iri)
    for row in _dedupe(select("entity-outgoing", iri=node), ("p", "o")):
        _sort_out(entity, row)
    for row in _dedupe(select("entity-incoming", iri=node), ("p", "s")):
        entity.incoming.append(Statement(_link(row["p"], row.get("pLabel")), _link(row["s"], row.get("sLabel"))))
    if len(entity.incoming) >= INCOMING_SHOWN:
        entity.incoming_total = int(select("entity-incoming-count", iri=node)[0]["n"].value)
    return entity


def resource_iri(path: str) -> ox.NamedNode:
    """The IRI of ours that a request path names; NotFound when it cannot be one."""
    try:
        return ox.NamedNode(BASE + path.lstrip("/"))
    except ValueError:
        raise NotFound(f"no resource at {path}") from None


def _wanted_type() -> str:
    forced = request.args.get("format")
    if forced:
        if forced not in FORMAT_NAMES:
            raise NotFound(f"unknown format {forced!r} (choose from {', '.join(sorted(FORMAT_NAMES))})")
        return FORMAT_NAMES[forced]
    offered = ["text/html", *RDF_TYPES]
    return request.accept_mimetypes.best_match(offered, default="text/html") or "text/html"


def entity_response(path: str) -> Response:
    """HTML for browsers, Turtle / JSON-LD / N-Triples / RDF-XML for machines; 404 when nothing is known."""
    node = resource_iri(path)
    mime = _wanted_type()
    if mime in RDF_TYPES:
        triples = construct("entity-describe", iri=node)
        if not triples:
            raise NotFound(f"nothing is known about <{node.value}>")
        response = Response(serialize(triples, RDF_TYPES[mime]), mimetype=mime)
    else:
        # the page reads only what it shows (every statement about a gene with 280k imported
        # observations took 2 s to gather for nothing)
        entity = describe(node.value)
        if not entity.known:
            raise NotFound(f"nothing is known about <{node.value}>")
        response = Response(render_template("entity.html", entity=entity, path=path), mimetype="text/html")
    response.vary.add("Accept")
    return response
