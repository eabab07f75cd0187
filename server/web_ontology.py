"""``/ontology``: pyLODE documentation of the release (generated once per release, cached) and the class
hierarchy with the inferred classification."""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from exoowl.errors import Unavailable
from exoowl.namespaces import GRAPH_INFERRED

from .web_queries import Term, display, href, select

_LOCK = threading.Lock()
_MEMORY: dict[str, str] = {}


def _ontpub_html(release: Path) -> str:
    """pyLODE's HTML for the release. pyLODE configures the root logger at import; undo that."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub
    finally:
        root.handlers[:], root.level = handlers, level
    try:
        html: str = OntPub(ontology=str(release)).make_html()
        return html
    except Exception as exc:  # pyLODE's own errors, and rdflib's on a release it cannot read
        logging.getLogger(__name__).warning("pyLODE could not document %s: %s", release, exc)
        raise Unavailable(
            f"the ontology's documentation cannot be made ({type(exc).__name__}: {exc}); "
            "the release itself is at /ontology/exoowl.owl"
        ) from None


def release_key(release: Path) -> str:
    digest = hashlib.sha256(release.read_bytes()).hexdigest()[:16]
    return f"{digest}-pylode-{version('pylode')}"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def pylode_html(release: Path, cache_dir: Path) -> str:
    """The release's pyLODE page: from memory, else from the cache directory, else generated and cached."""
    cached = cache_dir / f"{release_key(release)}.html"
    with _LOCK:
        if str(cached) not in _MEMORY:
            if not cached.exists():
                _write_atomically(cached, _ontpub_html(release))
            _MEMORY[str(cached)] = cached.read_text(encoding="utf-8")
        return _MEMORY[str(cached)]


def with_intro(doc: str, intro: str) -> str:
    """pyLODE's page with our section placed first in its content."""
    marker = '<div id="content">'
    at = doc.find(marker)
    if at < 0:
        at = doc.find("<body>")
        marker = "<body>"
    end = at + len(marker)
    return doc[:end] + intro + doc[end:] if at >= 0 else intro + doc


@dataclass
class ClassNode:
    iri: str
    label: str
    href: str
    inferred: bool = False
    children: list[ClassNode] = field(default_factory=list)


@dataclass
class Hierarchy:
    labels: dict[str, str] = field(default_factory=dict)
    parents: dict[str, set[str]] = field(default_factory=dict)
    asserted: set[tuple[str, str]] = field(default_factory=set)

    def add(self, row: dict[str, Term]) -> None:
        child, parent = row["class"].value, row["parent"].value
        self._name(row["class"], row.get("classLabel"))
        self._name(row["parent"], row.get("parentLabel"))
        self.parents.setdefault(child, set()).add(parent)
        if row["graph"].value != str(GRAPH_INFERRED):
            self.asserted.add((child, parent))

    def label(self, iri: str) -> str:
        return self.labels.get(iri, iri)

    def by_label(self, iris: Iterable[str]) -> list[str]:
        return sorted(iris, key=lambda iri: self.label(iri).lower())

    def _name(self, term: Term, label: Term | None) -> None:
        if label is not None:
            self.labels[term.value] = label.value
        else:
            self.labels.setdefault(term.value, display(term))

    def ancestors(self, iri: str) -> set[str]:
        seen: set[str] = set()
        todo = list(self.parents.get(iri, ()))
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.parents.get(current, ()))
        return seen

    def direct_parents(self, iri: str) -> set[str]:
        """Transitive reduction: parents that are no other parent's ancestor (equivalent classes dropped)."""
        strict = {p for p in self.ancestors(iri) if iri not in self.ancestors(p)}
        candidates = strict & self.parents.get(iri, set())
        return {p for p in candidates if not any(p in self.ancestors(q) for q in candidates - {p})}


def _node(
    tree: Hierarchy, iri: str, children: dict[str, list[str]], parent: str | None, path: frozenset[str]
) -> ClassNode:
    node = ClassNode(iri, tree.label(iri), href(iri), parent is not None and (iri, parent) not in tree.asserted)
    for child in tree.by_label(children.get(iri, ())):
        if child not in path:
            node.children.append(_node(tree, child, children, iri, path | {child}))
    return node


def class_tree() -> list[ClassNode]:
    """Roots of the classification: every exoowl class under its direct named parents, asserted or inferred."""
    tree = Hierarchy()
    for row in select("class-hierarchy"):
        tree.add(row)
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    for child in tree.parents:
        for parent in tree.direct_parents(child):
            children.setdefault(parent, []).append(child)
            has_parent.add(child)
    roots = tree.by_label((set(children) | set(tree.parents)) - has_parent)
    return [_node(tree, root, children, None, frozenset({root})) for root in roots]


def count_inferred(nodes: list[ClassNode]) -> int:
    return sum(int(n.inferred) + count_inferred(n.children) for n in nodes)
