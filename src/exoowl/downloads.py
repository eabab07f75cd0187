"""The ExoCarta and Vesiclepedia downloads as their files are, mess included: which kind a file is
(from its header), and its rows with their true line numbers and cleaned cells.

- Lines end at ``\\n`` only: a lone carriage return inside a line is data (Vesiclepedia's miRNA file
  has one in the Entrez cell of 12,337 rows) and is cleaned out of its cell; CRLF line ends are
  accepted.
- Cells are trimmed; ``NOTFOUND``, ``NOT FOUND``, ``-`` and ``0`` are missing values (empty);
  every cleaning is counted by what it did and in which column.
- Tab-separated files are split on tabs (quotes are data); comma-separated ones (ExoCarta's CSV)
  are read as CSV, one line at a time.
- GPAD 1.1 annotation files (``!gpa-version`` first, ``!`` comment lines, no header row) have the
  GPAD 1.1 columns.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

MAX_HEADER = 65536  # a download's header is a few hundred characters
MISSING = {"notfound": "NOTFOUND", "not found": "NOT FOUND", "-": "-", "0": "0"}
GPAD_COLUMNS = (
    "DB",
    "DB OBJECT ID",
    "QUALIFIER",
    "GO ID",
    "DB:REFERENCE(S)",
    "EVIDENCE CODE",
    "WITH (OR) FROM",
    "INTERACTING TAXON ID",
    "DATE",
    "ASSIGNED BY",
    "ANNOTATION EXTENSION",
    "ANNOTATION PROPERTIES",
)


@dataclass(frozen=True)
class Kind:
    """A download kind: the columns that identify it (all present in the header) and its record key."""

    name: str
    label: str
    needed: tuple[str, ...]
    key: str | None  # the column naming a record (a repeat of it is a bad row), if any


# most specific first: the first kind whose columns are all in the header is the file's
KINDS: tuple[Kind, ...] = (
    Kind("ptm", "post-translational modification details", ("PTM ID", "ENTREZ GENE ID", "PTM TYPE"), "PTM ID"),
    Kind("mirna", "miRNA details", ("MIRNA ID", "SPECIES"), None),
    Kind("lipid", "lipid details", ("LIPID ID", "SPECIES"), "CONTENT ID"),
    Kind(
        "cargo",
        "protein/mRNA details",
        ("CONTENT ID", "CONTENT TYPE", "ENTREZ GENE ID", "GENE SYMBOL", "SPECIES", "EXPERIMENT ID", "METHODS"),
        "CONTENT ID",
    ),
    Kind("genes", "gene details", ("ENTREZ GENE ID", "GENE SYMBOL", "SPECIES", "GENE NAME"), "ENTREZ GENE ID"),
    Kind("experiments", "experiment details", ("EXPERIMENT ID", "PUBMED ID", "SPECIES"), "EXPERIMENT ID"),
)
GPAD = Kind("go-annotations", "GO annotations (GPAD 1.1)", GPAD_COLUMNS, None)


def header_key(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().upper().split())


def detect_kind(columns: list[str], path: Path | None = None) -> Kind:
    present = set(columns)
    for kind in KINDS:
        if set(kind.needed) <= present:
            return kind
    expected = "; ".join(f"{k.label} ({', '.join(k.needed)})" for k in KINDS)
    raise InputError(
        f"the header matches no known download: expected the columns of one of {expected}, or a GPAD 1.1 "
        "file (first line !gpa-version: 1.1); got " + ", ".join(columns),
        path,
        line=1,
    )


@dataclass
class Download:
    """An open download: its kind, columns and how its cells are split."""

    path: Path
    kind: Kind
    columns: list[str]
    delimiter: str
    first_line: int  # the line number of the first data row's line

    def split(self, line: str) -> list[str]:
        if self.delimiter == "\t":
            return line.split("\t")
        try:
            return next(csv.reader([line]))
        except (csv.Error, StopIteration):
            return [line]


def _lines(path: Path, counter: list[int]) -> Iterator[str]:
    """The file's lines, split at ``\\n`` only, without their line ends (``\\n`` or ``\\r\\n``);
    ``counter[0]`` counts the characters read."""
    with path.open(encoding="utf-8", errors="replace", newline="\n") as handle:
        while True:
            line = handle.readline(MAX_HEADER + 1) if counter[0] == 0 else handle.readline()
            if not line:
                return
            counter[0] += len(line)
            if counter[0] == len(line) and len(line) > MAX_HEADER:
                raise InputError(
                    f"the first line is over {MAX_HEADER} characters: not the header of an ExoCarta or "
                    "Vesiclepedia download",
                    path,
                    line=1,
                )
            yield line.removesuffix("\n").removesuffix("\r")


def clean(cell: str, column: str, cleaned: Counter[str]) -> str:
    """A cell without surrounding white space and stray carriage returns; missing values empty."""
    value = cell
    if "\r" in value:
        value = value.replace("\r", " ")
        cleaned[f"stray carriage return removed from {column}"] += 1
    value = value.strip()
    marker = MISSING.get(value.casefold())
    if marker is not None:
        cleaned[f"{marker!r} in {column} read as missing"] += 1
        return ""
    return value


def open_download(path: Path, counter: list[int]) -> tuple[Download, Iterator[tuple[int, list[str]]]]:
    """The download's kind and columns, and its non-empty data lines (line number, raw cells)."""
    lines = _lines(path, counter)
    number = 0
    first = next(lines, "")
    number += 1
    if first.startswith("!gpa-version") or first.startswith("!gpad-version"):
        download = Download(path, GPAD, list(GPAD_COLUMNS), "\t", number + 1)
    else:
        delimiter = "\t" if "\t" in first else ","
        columns = [header_key(c) for c in next(csv.reader([first], delimiter=delimiter), [])]
        download = Download(path, detect_kind(columns, path), columns, delimiter, number + 1)

    def data() -> Iterator[tuple[int, list[str]]]:
        for line_number, line in enumerate(lines, start=2):
            if not line.strip() or (download.kind is GPAD and line.startswith("!")):
                continue
            yield line_number, download.split(line)

    return download, data()
