"""Reading RDF files with errors that name the file and line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph

from .errors import InputError

_LINE = re.compile(r"line (\d+)", re.IGNORECASE)


def parse_file(path: Path, fmt: str | None = None) -> Graph:
    """Parse an RDF file; a syntax error becomes an InputError with file and line."""
    if not path.exists():
        raise InputError("file not found", path)
    graph = Graph()
    try:
        graph.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        found = _LINE.search(str(exc))
        raise InputError(
            f"not valid RDF: {' '.join(str(exc).split())[:300]}", path, int(found.group(1)) if found else None
        ) from exc
    return graph


class _SameLabels(dict[str, BNode]):
    """rdflib's N-Triples parser's blank-node map, keeping pyoxigraph's labels (so a SHACL result
    names a blank node as the store does, whichever triples were read)."""

    def get(self, label: str, default: object = None) -> BNode:
        return BNode(label)


def to_rdflib(triples: Iterable[ox.Triple | ox.Quad]) -> Graph:
    """pyoxigraph triples (or quads, graph names dropped) as one rdflib graph, for pyshacl and HermiT."""
    data = "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)
    return Graph().parse(data=data, format="nt", bnode_context=_SameLabels()) if data else Graph()


def serialized(data: Iterable[ox.Triple] | Iterable[ox.Quad], fmt: ox.RdfFormat) -> bytes:
    """pyoxigraph triples or quads in ``fmt``, in memory."""
    body = ox.serialize(data, format=fmt)
    assert body is not None  # pyoxigraph returns None only when it is given an output to write to
    return body
