"""Curated tables → RDF. Each ``data/curated/NAME.tsv`` has one declared mapping
``data/mappings/NAME.toml`` (format in docs/model.md). Every fact row carries its provenance."""

from __future__ import annotations

import csv
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from .errors import InputError
from .namespaces import EXOID, EXOOWL, PREFIXES, REVIEW

SAFE_SEGMENT = re.compile(r"^[A-Za-z0-9._~:-]+$")
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]*)\}")
BOOLEANS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
DATATYPES = {"xsd:string", "xsd:integer", "xsd:decimal", "xsd:boolean", "xsd:date", "xsd:anyURI"}
Triple = tuple[URIRef, URIRef, URIRef | Literal]
ABSOLUTE_IRI = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")


@dataclass(frozen=True)
class ColumnMapping:
    name: str
    predicate: URIRef | None = None
    object: str | None = None  # "template/{}" under exoid:, or "curie"
    iri: str | None = None  # absolute IRI template
    datatype: str | None = None
    lang: str | None = None
    separator: str | None = None
    required: bool = False
    pattern: re.Pattern[str] | None = None
    values: dict[str, URIRef] = field(default_factory=dict)  # controlled vocabulary: cell → IRI
    member: URIRef | None = None  # the value describes the row's member ({subject}/member), linked so
    inverse: bool = False  # the triple points from the value to the row (value predicate subject)


@dataclass(frozen=True)
class TableMapping:
    path: Path  # the .toml file
    table: str
    subject: str
    types: tuple[URIRef, ...]
    label: str | None
    source: str | None
    columns: tuple[ColumnMapping, ...] = field(default_factory=tuple)


def expand_curie(curie: str, where: str = "") -> URIRef:
    """``exoowl:Finding`` → full IRI; absolute IRIs pass through."""
    if curie.startswith(("http://", "https://")):
        return URIRef(curie)
    prefix, sep, local = curie.partition(":")
    if not sep or prefix not in PREFIXES:
        raise InputError(f"unknown prefix in {curie!r} (known: {', '.join(sorted(PREFIXES))})", where or None)
    return URIRef(PREFIXES[prefix] + local)


def _column(path: Path, name: str, spec: dict[str, Any]) -> ColumnMapping:
    unknown = set(spec) - {
        "predicate",
        "object",
        "iri",
        "datatype",
        "lang",
        "separator",
        "required",
        "pattern",
        "values",
        "member",
        "inverse",
    }
    if unknown:
        raise InputError(f"column {name!r}: unknown keys {sorted(unknown)}", path)
    if spec.get("datatype") and spec["datatype"] not in DATATYPES:
        raise InputError(f"column {name!r}: datatype must be one of {sorted(DATATYPES)}", path)
    if spec.get("predicate") and sum(bool(spec.get(k)) for k in ("object", "iri")) > 1:
        raise InputError(f"column {name!r}: give at most one of object/iri", path)
    iri_valued = bool(spec.get("object") or spec.get("iri") or spec.get("values"))
    if spec.get("inverse") and (not iri_valued or spec.get("member")):
        raise InputError(f"column {name!r}: an inverse column needs IRI values (object, iri, values), no member", path)
    try:
        pattern = re.compile(spec["pattern"]) if spec.get("pattern") else None
    except re.error as exc:
        raise InputError(f"column {name!r}: bad pattern ({exc})", path) from exc
    return ColumnMapping(
        name=name,
        predicate=expand_curie(spec["predicate"], str(path)) if spec.get("predicate") else None,
        object=spec.get("object"),
        iri=spec.get("iri"),
        datatype=spec.get("datatype"),
        lang=spec.get("lang"),
        separator=spec.get("separator"),
        required=bool(spec.get("required")),
        pattern=pattern,
        values={k: expand_curie(v, str(path)) for k, v in spec.get("values", {}).items()},
        member=expand_curie(spec["member"], str(path)) if spec.get("member") else None,
        inverse=bool(spec.get("inverse")),
    )


def load_mapping(path: Path) -> TableMapping:
    """Parse and check one mapping file."""
    try:
        spec = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid TOML ({exc})", path) from exc
    for key in ("table", "subject"):
        if key not in spec:
            raise InputError(f"mapping lacks {key!r}", path)
    columns = tuple(_column(path, name, col) for name, col in spec.get("columns", {}).items())
    return TableMapping(
        path=path,
        table=spec["table"],
        subject=spec["subject"],
        types=tuple(expand_curie(t, str(path)) for t in spec.get("types", [])),
        label=spec.get("label"),
        source=spec.get("source"),
        columns=columns,
    )


def load_mappings(mappings_dir: Path) -> list[TableMapping]:
    return [load_mapping(p) for p in sorted(mappings_dir.glob("*.toml"))]


def _numbered_lines(path: Path) -> list[tuple[int, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 ({exc})", path) from exc
    numbered = [(i, line) for i, line in enumerate(lines, 1) if line.strip() and not line.startswith("#")]
    if not numbered:
        raise InputError("no header row", path, 1)
    return numbered


def _cells(text: str) -> list[str]:
    return next(csv.reader([text], delimiter="\t", quoting=csv.QUOTE_NONE))


def read_header(path: Path) -> tuple[int, list[str]]:
    """The header row of a TSV and its line number."""
    line, text = _numbered_lines(path)[0]
    header = _cells(text)
    if len(set(header)) != len(header):
        raise InputError("duplicate column names in header", path, line)
    return line, header


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row of a TSV; comments and blank lines skipped."""
    _, header = read_header(path)
    for number, text in _numbered_lines(path)[1:]:
        cells = _cells(text)
        if len(cells) > len(header):
            raise InputError(
                f"{len(cells)} cells but the header has {len(header)} columns", path, number, len(header) + 1
            )
        cells += [""] * (len(header) - len(cells))
        yield number, {h: c.strip() for h, c in zip(header, cells, strict=True)}


def _segment(value: str, path: Path, line: int, column: str) -> str:
    if not SAFE_SEGMENT.match(value):
        raise InputError(f"{value!r} cannot be part of an IRI (use letters, digits, - . _ ~ :)", path, line, column)
    return value


def _fill(template: str, row: dict[str, str], path: Path, line: int, safe: bool) -> str:
    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in row:
            raise InputError(f"template {template!r} names unknown column {name!r}", path, line)
        value = row[name]
        if not value:
            raise InputError(f"column {name!r} is empty but the template {template!r} needs it", path, line, name)
        return _segment(value, path, line, name) if safe else value

    return PLACEHOLDER.sub(sub, template)


def _literal(col: ColumnMapping, value: str, path: Path, line: int) -> Literal:
    if col.lang:
        return Literal(value, lang=col.lang)
    kind = col.datatype or "xsd:string"
    try:
        if kind == "xsd:integer":
            return Literal(int(value), datatype=XSD.integer)
        if kind == "xsd:decimal":
            return Literal(Decimal(value), datatype=XSD.decimal)
        if kind == "xsd:boolean":
            return Literal(BOOLEANS[value.lower()], datatype=XSD.boolean)
    except (ValueError, InvalidOperation, KeyError):
        raise InputError(f"{value!r} is not a valid {kind}", path, line, col.name) from None
    return Literal(value, datatype=XSD[kind.split(":")[1]]) if kind != "xsd:string" else Literal(value)


def _object(col: ColumnMapping, value: str, path: Path, line: int) -> URIRef | Literal:
    if col.values:
        if value not in col.values:
            raise InputError(f"{value!r} is not one of {sorted(col.values)}", path, line, col.name)
        return col.values[value]
    if col.object == "curie":
        try:
            return expand_curie(value)
        except InputError as exc:
            raise InputError(exc.message, path, line, col.name) from None
    if col.object:
        return EXOID[col.object.replace("{}", _segment(value, path, line, col.name))]
    if col.iri == "{}":  # the cell is the whole IRI
        if not ABSOLUTE_IRI.match(value):
            raise InputError(f"{value!r} is not an absolute http(s) IRI", path, line, col.name)
        return URIRef(value)
    if col.iri:
        return URIRef(col.iri.replace("{}", quote(value, safe=":/")))
    return _literal(col, value, path, line)


def _row_triples(m: TableMapping, data_path: Path, line: int, row: dict[str, str]) -> Iterator[Triple]:
    for col in m.columns:
        value = row[col.name]
        if not value:
            if col.required:
                raise InputError("required value is empty", data_path, line, col.name)
            continue
        values = [v.strip() for v in value.split(col.separator)] if col.separator else [value]
        for v in values:
            if not v:
                raise InputError(f"empty item in {value!r}", data_path, line, col.name)
            if col.pattern and not col.pattern.search(v):
                raise InputError(f"{v!r} does not match {col.pattern.pattern!r}", data_path, line, col.name)
    subject = EXOID[_fill(m.subject, row, data_path, line, safe=True)]
    for t in m.types:
        yield subject, RDF.type, t
    if m.label:
        yield subject, RDFS.label, Literal(_fill(m.label, row, data_path, line, safe=False))
    if m.source:
        # A row's provenance: the review, and the reference number(s) it cites there. An empty cell
        # is a statement the review makes on its own authority (it then carries exoowl:reportedIn only).
        refs = [r.strip() for r in row[m.source].replace(",", ";").split(";") if r.strip()]
        for ref in refs:
            if not ref.isdigit():
                raise InputError(f"reference {ref!r} is not a number", data_path, line, m.source)
            yield subject, EXOOWL.hasSource, EXOID[f"reference/{int(ref)}"]
        yield subject, EXOOWL.reportedIn, REVIEW
    for col in m.columns:
        value = row[col.name]
        if col.predicate is None or not value:
            continue
        described = subject
        if col.member:  # e.g. a population (RO 'has member') and the cells its members are
            described = URIRef(f"{subject}/member")
            yield subject, col.member, described
        for v in [x.strip() for x in value.split(col.separator)] if col.separator else [value]:
            obj = _object(col, v, data_path, line)
            if col.inverse and isinstance(obj, URIRef):
                yield obj, col.predicate, described
            else:
                yield described, col.predicate, obj


def table_graph(m: TableMapping, curated_dir: Path) -> tuple[Graph, int]:
    """The triples of one table and its row count."""
    data_path = curated_dir / m.table
    if not data_path.exists():
        raise InputError(f"mapping names table {m.table!r}, which does not exist", m.path)
    header_line, header = read_header(data_path)
    missing = [c.name for c in m.columns if c.name not in header]
    missing += [m.source] if m.source and m.source not in header else []
    if missing:
        raise InputError(f"columns {missing} declared in {m.path.name} are not in the header", data_path, header_line)
    graph, count = Graph(), 0
    for line, row in read_rows(data_path):
        for triple in _row_triples(m, data_path, line, row):
            graph.add(triple)
        count += 1
    return graph, count


def curated_graph(curated_dir: Path, mappings_dir: Path) -> tuple[Graph, dict[str, int]]:
    """All curated tables as one graph, with the row count of each table."""
    mappings = load_mappings(mappings_dir)
    mapped = {m.table for m in mappings}
    unmapped = sorted(p.name for p in curated_dir.glob("*.tsv") if p.name not in mapped)
    if unmapped:
        raise InputError(f"tables without a mapping in {mappings_dir}: {', '.join(unmapped)}", curated_dir)
    graph, counts = Graph(), {}
    for m in mappings:
        part, counts[m.table] = table_graph(m, curated_dir)
        graph += part
    return graph, counts
