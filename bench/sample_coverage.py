"""Coverage of the Vesiclepedia sample mapping tables on an experiment-details download.

Usage: ``PYTHONPATH=src python bench/sample_coverage.py Vesiclepedia_experiment_details.txt``

For each column it prints the share of row values (cells split on ``|``) that the table judges
(has a row for) and the share that it maps to a term (not ``sssom:NoTermFound``), then the strings
not mapped to a term with their counts. Columns: SAMPLE (samples.sssom.tsv), SAMPLE as a disease and
SAMPLE NAME of tissue/fluid rows (sample-diseases.sssom.tsv), SAMPLE NAME of cell-line rows
(cell-lines.sssom.tsv)."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from exoowl.vocabulary import Vocabulary, load

TABLES = Path(__file__).resolve().parents[1] / "data" / "mappings" / "vocabulary"
Row = list[str]


def read_rows(path: Path) -> list[Row]:
    """The download's data rows (split on newline only, as the files need)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].rstrip("\r").split("\t")
    wanted = ("SAMPLE", "SAMPLE SOURCE", "SAMPLE NAME")
    if not all(name in header for name in wanted):
        raise SystemExit(f"{path}: the header lacks one of {wanted}")
    index = [header.index(name) for name in wanted]
    rows = []
    for line in lines[1:]:
        cells = line.split("\t")
        if line.strip() and len(cells) == len(header):
            rows.append([cells[i] for i in index])
    return rows


def values(cell: str) -> list[str]:
    return [" ".join(v.split()) for v in cell.split("|") if v.strip()]


def is_cell_line(row: Row) -> bool:
    return "cl" in [c.strip() for c in row[1].split("|")]


def count(rows: list[Row], column: int, keep: Callable[[Row], bool]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in rows:
        if keep(row):
            counts.update(values(row[column]))
    return counts


def coverage(label: str, counts: Counter[str], table: Vocabulary, show: int) -> tuple[float, float]:
    total = sum(counts.values())
    judged = sum(n for v, n in counts.items() if table.lookup(v) is not None)
    mapped = sum(n for v, n in counts.items() if table.lookup(v))
    j, m = (judged / total, mapped / total) if total else (1.0, 1.0)
    head = f"{label}: {total} values, {len(counts)} distinct"
    print(f"{head}; judged {j:.1%} ({judged}); mapped to a term {m:.1%} ({mapped})")
    missing = [(v, n) for v, n in counts.most_common() if table.lookup(v) is None]
    empty = [(v, n) for v, n in counts.most_common() if table.lookup(v) == ()]
    for title, items in (("not in the table", missing), ("sssom:NoTermFound", empty)):
        if items:
            shown = ", ".join(f"{v!r} {n}" for v, n in items[:show])
            more = f" … and {len(items) - show} more" if len(items) > show else ""
            print(f"  {title} ({len(items)} strings, {sum(n for _, n in items)} values): {shown}{more}")
    return j, m


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    show = int(argv[2]) if len(argv) > 2 else 40
    rows = read_rows(Path(argv[1]))
    samples = load(TABLES / "samples.sssom.tsv")
    diseases = load(TABLES / "sample-diseases.sssom.tsv")
    lines = load(TABLES / "cell-lines.sssom.tsv")
    print(f"{len(rows)} rows")
    coverage("SAMPLE -> samples", count(rows, 0, lambda r: True), samples, show)
    coverage("SAMPLE -> sample-diseases", count(rows, 0, lambda r: True), diseases, show)
    not_cl = count(rows, 2, lambda r: [c.strip() for c in r[1].split("|")] != ["cl"])
    coverage("SAMPLE NAME (tissue/fluid rows) -> sample-diseases", not_cl, diseases, show)
    coverage("SAMPLE NAME (cell-line rows) -> cell-lines", count(rows, 2, is_cell_line), lines, show)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
