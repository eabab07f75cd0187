"""``/network.json``: the Table 2 transfer findings as a graph donor → cargo → recipient → target gene → outcome."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pyoxigraph as ox

from exoowl.query import expand

from .web_queries import Term, display, href, select

CHAIN = ("donor", "cargo", "recipient", "target", "outcome")


def _bindings(cancer: str | None, process: str | None) -> dict[str, ox.NamedNode]:
    """Filter values (IRIs or CURIEs such as ``exoid:cancer/breast-cancer``) as query bindings."""
    given = {"cancer": cancer, "process": process}
    return {name: ox.NamedNode(expand(raw)) for name, raw in given.items() if raw}


def _findings(cancer: str | None, process: str | None) -> dict[str, dict[str, list[dict[str, Term]]]]:
    """{finding IRI: {role: [rows]}} for the findings passing the filters."""
    findings: dict[str, dict[str, list[dict[str, Term]]]] = {}
    for row in select("network", **_bindings(cancer, process)):
        findings.setdefault(row["finding"].value, {}).setdefault(row["role"].value, []).append(row)
    return findings


def _kind(row: dict[str, Term]) -> str:
    role = row["role"].value
    if role == "cargo":
        return "mirna" if row["isMirna"].value == "true" else "cargo"
    return role


def _node(row: dict[str, Term]) -> dict[str, Any]:
    node = row["node"]
    return {
        "data": {
            "id": node.value,
            "label": display(node, row.get("nodeLabel")),
            "kind": _kind(row),
            "href": href(node.value),
        }
    }


def _links(roles: dict[str, list[dict[str, Term]]]) -> list[tuple[str, str]]:
    """Edges of one finding: each present step of the chain to the next present one."""
    present = [roles[r] for r in CHAIN if r in roles]
    return [
        (a["node"].value, b["node"].value)
        for left, right in pairwise(present)
        for a in left
        for b in right
        if a["node"].value != b["node"].value
    ]


def network(cancer: str | None = None, process: str | None = None) -> dict[str, Any]:
    """Cytoscape.js elements: nodes (with kind and page link) and edges (with the findings behind them)."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    findings = _findings(cancer, process)
    for finding, roles in findings.items():
        for rows in roles.values():
            for row in rows:
                nodes.setdefault(row["node"].value, _node(row))
        for source, target in _links(roles):
            edge = edges.setdefault(
                (source, target), {"data": {"id": f"e{len(edges)}", "source": source, "target": target, "findings": []}}
            )
            edge["data"]["findings"].append(href(finding))
    return {"nodes": list(nodes.values()), "edges": list(edges.values()), "findings": len(findings)}


def facets() -> dict[str, list[dict[str, Any]]]:
    """The filter choices: cancers and processes of the transfer findings, with their finding counts."""
    choices: dict[str, list[dict[str, Any]]] = {"cancer": [], "process": []}
    for row in select("network-filters"):
        choices[row["facet"].value].append(
            {
                "iri": row["value"].value,
                "label": display(row["value"], row.get("valueLabel")),
                "findings": int(row["findings"].value),
            }
        )
    return choices
