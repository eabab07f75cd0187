"""How much of a miRNA-details download (Vesiclepedia or ExoCarta: MIRNA ID and SPECIES columns) resolves
to miRBase v22 mature accessions: per species, the records and the share resolved, the reasons the
rest did not, and the most frequent unresolved names with their reasons.

    PYTHONPATH=src .venv/bin/python bench/mirna_coverage.py PATH [--top 30]

Lines are split on ``\\n`` only (Vesiclepedia has lone carriage returns inside cells); cells are
tab-separated and trimmed.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from exoowl.importers import TAXA
from exoowl.mirbase import TABLE, MiRBase, Resolution, load

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TABLE = ROOT / "data" / "mappings" / "mirbase" / TABLE


def records(path: Path) -> list[tuple[str, str]]:
    """(MIRNA ID, SPECIES) of each record."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    header = [cell.strip() for cell in lines[0].split("\t")]
    name_at, species_at = header.index("MIRNA ID"), header.index("SPECIES")
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    return [(row[name_at], row[species_at].strip()) for row in rows if len(row) > max(name_at, species_at)]


def taxon_of(species: str) -> str | None:
    known = TAXA.get(" ".join(species.split()).lower())
    return known[1] if known else None


def coverage(table: MiRBase, rows: list[tuple[str, str]]) -> dict[str, list[Resolution]]:
    """Each species' resolutions, the names resolved once each (results are per distinct name)."""
    cache: dict[tuple[str, str | None], Resolution] = {}
    by_species: dict[str, list[Resolution]] = {}
    for name, species in rows:
        taxon = taxon_of(species)
        if (name, taxon) not in cache:
            cache[name, taxon] = table.resolve(name, taxon)
        by_species.setdefault(species, []).append(cache[name, taxon])
    return by_species


def report(by_species: dict[str, list[Resolution]], top: int, out: list[str]) -> None:
    for species, results in sorted(by_species.items(), key=lambda kv: -len(kv[1])):
        resolved = sum(r.resolved for r in results)
        out.append(f"{species}: {len(results)} records, {resolved} resolved ({100 * resolved / len(results):.1f} %)")
        if resolved == len(results) or taxon_of(species) not in ("9606", "10090"):
            continue
        reasons = Counter(r.reason for r in results if not r.resolved)
        out.append("  unresolved by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
        steps = Counter(s for r in results if r.resolved for s in r.steps)
        out.append("  resolved records by step: " + ", ".join(f"{k} {v}" for k, v in steps.most_common()))
        names = Counter((r.name.strip(), r.reason) for r in results if not r.resolved)
        for (name, reason), count in names.most_common(top):
            candidates = next(r.candidates for r in results if r.name.strip() == name and r.reason == reason)
            shown = " ".join(c.name_v22 for c in candidates[:4]) + (" …" if len(candidates) > 4 else "")
            out.append(f"    {count:5d}  {name!r:32} {reason}" + (f"  [{shown}]" if shown else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("path", type=Path, help="a miRNA-details download")
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE, help="the miRBase names table")
    parser.add_argument("--top", type=int, default=30, help="unresolved names shown per species")
    args = parser.parse_args(argv)
    out: list[str] = []
    report(coverage(load(args.table), records(args.path)), args.top, out)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
