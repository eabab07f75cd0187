"""The data model as a picture: a Mermaid class diagram generated from the release (the object
properties with their domains and ranges, and the subclass links among those classes).
``python -m exoowl.diagram`` rewrites the block between the markers in README.md."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .namespaces import EXOOWL

START, END = "<!-- data-model:start -->", "<!-- data-model:end -->"


def _name(graph: Graph, iri: URIRef) -> str:
    """Our classes by their local name; reused ones by their label in CamelCase."""
    if str(iri).startswith(str(EXOOWL)):
        return str(iri)[len(str(EXOOWL)):]
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
            edges.add(f"  {_name(graph, domain)} --> {_name(graph, range_)} : {prop.rsplit('/', 1)[-1]}")
            classes |= {domain, range_}
    for cls in classes:
        for parent in graph.objects(cls, RDFS.subClassOf):
            if parent in classes:
                edges.add(f"  {_name(graph, parent)} <|-- {_name(graph, cls)}")
    return "```mermaid\nclassDiagram\n" + "\n".join(sorted(edges)) + "\n```"


def update_readme(readme: Path, release: Path) -> bool:
    """Rewrite the README's diagram block; True when it changed."""
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: add the markers {START} and {END}")
    graph = Graph().parse(release, format="xml")
    block = f"{START}\n{mermaid(graph)}\n{END}"
    new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    readme.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()
    changed = update_readme(root / "README.md", root / "ontology" / "exoowl.owl")
    print("README.md data model " + ("updated" if changed else "already current"))
