"""How much of the Vesiclepedia/ExoCarta downloads the vocabulary tables map.

    PYTHONPATH=src python bench/vocabulary_coverage.py FILE...

For each column a table covers (VESICLE TYPE, ISOLATION METHOD, METHODS, IDENTIFICATIONS, SAMPLE SOURCE,
SPECIES) of each file given, it splits the cells as the importer does and counts the row values: mapped
to a term, judged to have none (``sssom:NoTermFound``), or missing from the table. Empty values and the
missing-value token ``-`` are counted apart and left out of the share. Files are tab-separated (``.csv``:
comma-separated with quotes); lines end at ``\\n`` only, a stray ``\\r`` counts as white space."""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from exoowl.vocabulary import Vocabulary, key, load_all

TABLES = Path(__file__).resolve().parents[1] / "data" / "mappings" / "vocabulary"
# column → (table, how its cells are split)
COLUMNS = {
    "VESICLE TYPE": ("vesicle-types", r"[/|]"),
    "ISOLATION METHOD": ("isolation-methods", r"\|"),
    "METHODS": ("identification-methods", r"\|"),
    "IDENTIFICATIONS": ("identifications", r"\|"),
    "SAMPLE SOURCE": ("sample-sources", r"\|"),
    "SPECIES": ("species", r"\|"),
}
MISSING = frozenset({"", "-"})


@dataclass
class Column:
    mapped: int = 0
    no_term: Counter[str] = field(default_factory=Counter)
    unknown: Counter[str] = field(default_factory=Counter)
    missing: int = 0

    @property
    def values(self) -> int:
        return self.mapped + sum(self.no_term.values()) + sum(self.unknown.values())

    @property
    def share(self) -> float:
        return self.mapped / self.values if self.values else 1.0


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a download as dicts by (trimmed) header name."""
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")
    if path.suffix == ".csv":
        reader = csv.reader(line.rstrip("\r") for line in lines)
        header = [h.strip() for h in next(reader)]
        cells_of: Iterator[list[str]] = reader
    else:
        header = [h.strip() for h in lines[0].rstrip("\r").split("\t")]
        cells_of = (line.rstrip("\r").split("\t") for line in lines[1:])
    for cells in cells_of:
        if any(c.strip() for c in cells):
            yield dict(zip(header, cells, strict=False))


def kind(path: Path) -> str:
    """A short name of the file: experiment, miRNA, lipid, PTM, protein/mRNA …"""
    name = path.name.lower()
    for word, label in (("experiment", "experiment"), ("mirna", "miRNA"), ("lipid", "lipid"), ("ptm", "PTM")):
        if word in name:
            return label
    return "protein/mRNA" if "protein" in name else path.stem


def coverage(paths: list[Path], tables: dict[str, Vocabulary] | None = None) -> dict[str, Column]:
    """Per '<file kind> <column>': the counts of its row values."""
    tables = tables if tables is not None else load_all(TABLES)
    result: dict[str, Column] = {}
    for path in paths:
        for row in rows(path):
            for column, (table, separator) in COLUMNS.items():
                if column not in row:
                    continue
                counts = result.setdefault(f"{kind(path)} {column}", Column())
                for value in re.split(separator, row[column]):
                    if key(value) in MISSING:
                        counts.missing += 1
                        continue
                    terms = tables[table].lookup(value)
                    if terms:
                        counts.mapped += 1
                    elif terms is None:
                        counts.unknown[" ".join(value.split())] += 1
                    else:
                        counts.no_term[" ".join(value.split())] += 1
    return result


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for name, counts in coverage([Path(a) for a in argv]).items():
        share = f"{counts.mapped}/{counts.values} mapped ({100 * counts.share:.2f} %)"
        print(f"{name}: {share}, {counts.missing} empty or '-'")
        for label, tally in (("no term", counts.no_term), ("not in the table", counts.unknown)):
            for value, n in tally.most_common():
                print(f"    {label}: {value!r} ×{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
