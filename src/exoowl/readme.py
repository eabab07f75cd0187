"""The README's generated blocks: the data model as a picture (a Mermaid class diagram of the
release's object properties with their domains and ranges, and the subclass links among those
classes) and the inventory of the built knowledge graph. ``python -m exoowl.readme`` rewrites both
from the release and the default store; tests fail when either is out of date."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .api import KnowledgeGraph
from .namespaces import EXOOWL
from .query import QueryResult

START, END = "<!-- data-model:start -->", "<!-- data-model:end -->"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def _name(graph: Graph, iri: URIRef) -> str:
    """Our classes by their local name; reused ones by their label in CamelCase."""
    if str(iri).startswith(str(EXOOWL)):
        return str(iri)[len(str(EXOOWL)) :]
    label = str(graph.value(iri, RDFS.label) or str(iri).rsplit("/", 1)[-1])
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", label)) or "Thing"


def mermaid(graph: Graph) -> str:
    """Mermaid ``classDiagram`` text, sorted so that it only changes when the ontology does."""
    edges, classes = set(), set()
    for prop in graph.subjects(RDF.type, OWL.ObjectProperty):
        if not str(prop).startswith(str(EXOOWL)):
            continue
        domain, range_ = graph.value(prop, RDFS.domain), graph.value(prop, RDFS.range)
        if isinstance(domain, URIRef) and isinstance(range_, URIRef):
            edges.add(f"  {_name(graph, domain)} --> {_name(graph, range_)} : {str(prop).rsplit('/', 1)[-1]}")
            classes |= {domain, range_}
    for cls in classes:
        for parent in graph.objects(cls, RDFS.subClassOf):
            if isinstance(parent, URIRef) and parent in classes:
                edges.add(f"  {_name(graph, parent)} <|-- {_name(graph, cls)}")
    return "```mermaid\nclassDiagram\n" + "\n".join(sorted(edges)) + "\n```"


def inventory_table(result: QueryResult) -> str:
    """The inventory named query as a Markdown table."""
    lines = ["| in the graph | count |", "| --- | ---: |"]
    lines += [f"| {r['entity']} | {r['count']} |" for r in result.records()]
    return "\n".join(lines)


def replace_block(text: str, name: str, body: str) -> str:
    start, end = markers(name)
    if start not in text or end not in text:
        raise SystemExit(f"README.md lacks the markers {start} and {end}")
    return re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: f"{start}\n{body}\n{end}", text, flags=re.S)


def update_readme(readme: Path, release: Path, kg: KnowledgeGraph) -> bool:
    """Rewrite the README's generated blocks; True when anything changed."""
    text = readme.read_text(encoding="utf-8")
    new = replace_block(text, "data-model", mermaid(Graph().parse(release, format="xml")))
    new = replace_block(new, "inventory", inventory_table(kg.run("inventory")))
    readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    from .api import open as open_kg

    with open_kg() as knowledge_graph:
        changed = update_readme(
            knowledge_graph.settings.root / "README.md", knowledge_graph.settings.release_file, knowledge_graph
        )
    print("README.md generated blocks " + ("updated" if changed else "already current"))
