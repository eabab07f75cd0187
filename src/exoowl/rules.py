"""Derived curated triples: each ``ontology/rules/*.rq`` is a SPARQL CONSTRUCT run over the
release plus the curated graph; its results join the curated graph."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import Graph

from .errors import InputError
from .rdfio import serialized
from .store import Store


def apply_rules(rules_dir: Path, release: Graph, curated: Graph) -> Graph:
    derived = Graph()
    rules = sorted(rules_dir.glob("*.rq")) if rules_dir.exists() else []
    if not rules:
        return derived
    store = Store.in_memory()
    store.db.load((release + curated).serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    for rule in rules:
        try:
            triples = store.db.query(rule.read_text(encoding="utf-8"))
        except SyntaxError as exc:
            raise InputError(f"malformed rule: {exc}", rule) from exc
        # a rule is a CONSTRUCT query (any other form fails here, in pyoxigraph, with a TypeError)
        data = serialized(cast(ox.QueryTriples, triples), ox.RdfFormat.N_TRIPLES)
        derived.parse(data=data.decode("utf-8"), format="nt")
    return derived
