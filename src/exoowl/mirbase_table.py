"""Derives ``data/mappings/mirbase/mirbase_v22_names.tsv``, the miRBase table that ``exoowl.mirbase``
resolves names with, from the miRBase files of the reference folder (``../shared/reference``, §2 of
its README). The project never reads the reference folder at run time; this is run once by hand:

    PYTHONPATH=src python -m exoowl.mirbase_table ../shared/reference data/mappings/mirbase/mirbase_v22_names.tsv

One row per (name, accession) pair that miRBase v6–v22 used for Homo sapiens or Mus musculus, mature
(MIMAT) and precursor (MI) alike, with the v22 name of the accession (empty when the accession was
removed before v22) and, for a precursor, the MIMAT accessions of its v22 mature products.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

HISTORY = "mirbase_name_history_hsa_mmu.tsv"
PRECURSORS = "mirbase_precursor_hsa_mmu.tsv"
MATURES = "mirbase_mature_hsa_mmu.tsv"
COLUMNS = ("name", "accession", "type", "species", "taxon_id", "versions", "current_name_v22", "mature_accessions")
DERIVED_ON = "2026-12-03"
HEADER = f"""\
# miRBase v22 (March 2018) names for Homo sapiens (hsa) and Mus musculus (mmu): every (name, accession)
# pair that miRBase versions v6 to v22 used, mature (MIMAT) and precursor (MI). Facts only.
# Derived on {DERIVED_ON} by exoowl.mirbase_table from the reference folder (../shared/reference):
#   {HISTORY} (the rows: name, accession, type, species, versions, current_name_v22),
#   {PRECURSORS} (mature_accessions of the v22 precursors),
#   {MATURES} (taxon_id of each species).
# Origin of those files, as their README (section 2) gives it: the Bioconductor package miRBaseConverter,
# GitHub repository taoshengxu/miRBaseConverter, path R/sysdata.rda (data object miRNA_data: miRBase v6-v22;
# v22 added in commit a998c14e246d45a0652f0a5cc999c6f5190dfced, HEAD 78153c95bd3547ac1e115e43a240371dc7b3adcd),
# decoded and reduced to hsa and mmu.
# Columns: versions = the miRBase versions in which the name had the accession (runs joined with '-');
# current_name_v22 = the accession's v22 name, empty when it was removed before v22;
# mature_accessions = for a v22 precursor, its v22 mature products (';'-separated, as miRBase lists them).
"""


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.removeprefix("v").split("_"))


def compact_versions(versions: Sequence[str], order: Sequence[str]) -> str:
    """``v6,v7_1,v8`` → ``v6-v8`` (runs of consecutive versions of ``order``), runs ``,``-separated."""
    index = sorted(order.index(v) for v in versions)
    runs: list[tuple[int, int]] = []
    for i in index:
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return ",".join(order[a] if a == b else f"{order[a]}-{order[b]}" for a, b in runs)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def derive(reference: Path) -> list[tuple[str, ...]]:
    """The table's rows (without header), sorted by species, name and accession."""
    history = _read(reference / HISTORY)
    taxa = {row["species"]: row["taxon_id"] for row in _read(reference / MATURES)}
    matures = {row["precursor_accession"]: row["mature_accessions"] for row in _read(reference / PRECURSORS)}
    order = sorted({v for row in history for v in row["versions_with_this_name"].split(",")}, key=_version_key)
    rows = []
    for row in history:
        in_v22 = row["accession_in_v22"] == "yes"
        current = row["current_name_v22"] if in_v22 else ""
        products = matures.get(row["accession"], "") if row["type"] == "precursor" and in_v22 else ""
        versions = compact_versions(row["versions_with_this_name"].split(","), order)
        cells = (row["name"], row["accession"], row["type"], row["species"], taxa[row["species"]], versions)
        rows.append((*cells, current, products))
    return sorted(rows, key=lambda r: (r[3], r[0], r[1]))


def render(rows: Iterable[tuple[str, ...]]) -> str:
    return HEADER + "\t".join(COLUMNS) + "\n" + "".join("\t".join(row) + "\n" for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("reference", type=Path, help="the reference folder (../shared/reference)")
    parser.add_argument("out", type=Path, help="the table to write")
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(derive(args.reference)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
