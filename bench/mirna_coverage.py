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


def records(path: Path) -> list[tuple[str, str, str]]:
    """(MIRNA ID, SPECIES, EXPERIMENT ID or '') of each record."""
    lines = path.read_bytes().decode("utf-8").split("\n")
    header = [cell.strip() for cell in lines[0].split("\t")]
    name_at, species_at = header.index("MIRNA ID"), header.index("SPECIES")
    experiment_at = header.index("EXPERIMENT ID") if "EXPERIMENT ID" in header else None
    rows = [line.split("\t") for line in lines[1:] if line.strip()]
    return [
        (row[name_at], row[species_at].strip(), row[experiment_at].strip() if experiment_at is not None else "")
        for row in rows
        if len(row) > max(name_at, species_at, experiment_at or 0)
    ]


def taxon_of(species: str) -> str | None:
    known = TAXA.get(" ".join(species.split()).lower())
    return known[1] if known else None


def coverage(table: MiRBase, rows: list[tuple[str, str, str]]) -> dict[str, list[tuple[Resolution, str]]]:
    """Each species' (resolution, experiment) per record; each distinct (name, taxon) is resolved once."""
    cache: dict[tuple[str, str | None], Resolution] = {}
    by_species: dict[str, list[tuple[Resolution, str]]] = {}
    for name, species, experiment in rows:
        taxon = taxon_of(species)
        if (name, taxon) not in cache:
            cache[name, taxon] = table.resolve(name, taxon)
        by_species.setdefault(species, []).append((cache[name, taxon], experiment))
    return by_species


def _shown(result: Resolution) -> str:
    names = " ".join(c.name_v22 for c in result.candidates[:4]) + (" …" if len(result.candidates) > 4 else "")
    return f"  [{names}]" if names else ""


def report(by_species: dict[str, list[tuple[Resolution, str]]], top: int, out: list[str]) -> None:
    for species, pairs in sorted(by_species.items(), key=lambda kv: -len(kv[1])):
        results = [r for r, _ in pairs]
        resolved = sum(r.resolved for r in results)
        out.append(f"{species}: {len(results)} records, {resolved} resolved ({100 * resolved / len(results):.1f} %)")
        if resolved == len(results) or taxon_of(species) not in ("9606", "10090"):
            continue
        unresolved = [(r, e) for r, e in pairs if not r.resolved]
        reasons = Counter(r.reason for r, _ in unresolved)
        out.append("  unresolved by reason: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
        steps = Counter(s for r in results if r.resolved for s in r.steps)
        out.append("  resolved records by step: " + ", ".join(f"{k} {v}" for k, v in steps.most_common()))
        experiments = Counter(e for _, e in unresolved if e)
        if experiments:
            shares = ", ".join(f"{e} {n}" for e, n in experiments.most_common(8))
            out.append(f"  experiments with the most unresolved records: {shares}")
        names = Counter((r.name.strip(), r.reason) for r, _ in unresolved)
        first = {(r.name.strip(), r.reason): r for r, _ in reversed(unresolved)}
        out.append("  most frequent unresolved names:")
        for key, count in names.most_common(top):
            out.append(f"    {count:5d}  {key[0]!r:32} {key[1]}{_shown(first[key])}")
        out.append("  most frequent per reason:")
        for reason, _ in reasons.most_common():
            best = [(k, n) for k, n in names.most_common() if k[1] == reason][:3]
            listed = ", ".join(f"{k[0]!r} {n}" for k, n in best)
            out.append(f"    {reason}: {listed}")


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
