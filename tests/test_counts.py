"""The inventory counts (listed in the README) agree with the curated tables they come from."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from exoowl.api import KnowledgeGraph
from exoowl.config import Settings
from exoowl.store import Store

CURATED = Path(__file__).resolve().parents[1] / "data" / "curated"


def rows(name: str) -> list[dict[str, str]]:
    lines = [
        line for line in (CURATED / name).read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@pytest.fixture(scope="module")
def counts(project: Settings) -> dict[str, int]:
    kg = KnowledgeGraph(project, Store.open(project.store_path))
    return {r["entity"]: int(r["count"]) for r in kg.run("inventory").records()}


def test_counts_follow_the_tables(counts: dict[str, int]) -> None:
    assert counts["Table 2 transfer findings"] == len(rows("transfer_findings.tsv")) == 47
    assert counts["biomarker findings"] >= len(rows("biomarker_findings.tsv"))
    assert counts["storage findings"] >= len(rows("storage_findings.tsv"))
    assert counts["isolation kits"] == len(rows("kits.tsv"))
    assert counts["EV markers"] == len(rows("markers.tsv"))
    assert counts["negative-control (purity) markers"] == sum(1 for m in rows("markers.tsv") if m["compartment"])
    assert counts["genes"] == len(rows("genes.tsv")) + len(rows("mouse_genes.tsv"))
    assert counts["cell lines"] == len(rows("cell_lines.tsv"))
    assert counts["problematic cell lines"] == sum(1 for c in rows("cell_lines.tsv") if c["is_problematic"] == "true")
    assert counts["cancers"] == len(rows("cancers.tsv"))
    assert counts["cited references"] == len(rows("references.tsv"))


def test_all_findings_are_counted(counts: dict[str, int]) -> None:
    tables = [t for t in CURATED.glob("*findings*.tsv")]
    assert counts["findings (all)"] == sum(len(rows(t.name)) for t in tables)
