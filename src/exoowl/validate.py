"""SHACL validation of the curated graph against ``ontology/shapes/*.ttl`` (pyshacl)."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .rdfio import parse_file

# rdflib's SPARQL parser, which pyshacl uses, is not thread-safe (RDFLib/rdflib#1282).
_RDFLIB_LOCK = threading.Lock()
SEVERITIES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class Result:
    focus: str
    path: str | None
    value: str | None
    severity: str
    message: str
    shape: str | None


@dataclass(frozen=True)
class Report:
    conforms: bool
    results: tuple[Result, ...]
    graph: Graph

    @property
    def violations(self) -> int:
        return sum(r.severity == "Violation" for r in self.results)

    @property
    def warnings(self) -> int:
        return sum(r.severity == "Warning" for r in self.results)

    def as_dict(self) -> dict[str, object]:
        return {
            "conforms": self.conforms,
            "violations": self.violations,
            "warnings": self.warnings,
            "results": [asdict(r) for r in self.results],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, ensure_ascii=False)

    def to_turtle(self) -> str:
        return self.graph.serialize(format="turtle")


def load_shapes(shapes_dir: Path) -> Graph:
    shapes = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        shapes += parse_file(path, "turtle")
    return shapes


def _text(graph: Graph, node: Node, prop: URIRef) -> str | None:
    value = graph.value(node, prop)
    return None if value is None else str(value)


def _results(report: Graph) -> tuple[Result, ...]:
    rows = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        messages = [str(m) for m in report.objects(node, SH.resultMessage)]
        rows.append(
            Result(
                focus=str(report.value(node, SH.focusNode)),
                path=_text(report, node, SH.resultPath),
                value=_text(report, node, SH.value),
                severity=SEVERITIES.get(URIRef(str(report.value(node, SH.resultSeverity))), "Violation"),
                message="; ".join(messages) or "constraint not met",
                shape=_text(report, node, SH.sourceShape),
            )
        )
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    return tuple(sorted(rows, key=lambda r: (order[r.severity], r.focus, r.path or "")))


def _drop_results(report: Graph, focus: set[str]) -> None:
    """Removes the results whose focus node is not in ``focus`` (with their nested nodes)."""
    for node in list(report.subjects(RDF.type, SH.ValidationResult)):
        if str(report.value(node, SH.focusNode)) not in focus:
            report.remove((None, SH.result, node))
            pending = [node]
            while pending:
                current = pending.pop()
                pending += [o for o in report.objects(current, None) if isinstance(o, BNode)]
                report.remove((current, None, None))


def validate_graph(data: Graph, shapes: Graph, ontology: Graph | None = None, focus: set[str] | None = None) -> Report:
    """Validate; ``conforms`` is False only for Violations (Warnings and Infos are reported).
    With ``focus`` (IRIs and blank-node labels) only the results about those nodes are kept: the
    data then holds what the shapes read about them (``exoowl.focus``), and other nodes in it may
    be seen incompletely."""
    if focus is not None and not focus:
        report_graph = Graph()
        report_graph.add((BNode(), RDF.type, SH.ValidationReport))
    else:
        with _RDFLIB_LOCK:
            _, report_graph, _ = shacl_validate(
                data, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True, allow_warnings=True
            )
    if focus is not None:
        _drop_results(report_graph, focus)
    results = _results(report_graph)
    conforms = not any(r.severity == "Violation" for r in results)
    report_graph.set((next(report_graph.subjects(RDF.type, SH.ValidationReport)), SH.conforms, Literal(conforms)))
    return Report(conforms=conforms, results=results, graph=report_graph)
