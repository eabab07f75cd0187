"""Every finding says who, how and how much: the taxon its observations were made on (NCBITaxon), its
experimental system and its ECO evidence types, and the review's numbers as OBI value specifications
with UO units. The curated table is checked against the finding tables and the review; the built graph
against the table."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from test_table2 import table

from exoowl.api import KnowledgeGraph
from exoowl.config import Settings
from exoowl.store import Store

ROOT = Path(__file__).resolve().parents[1]
CURATED = ROOT / "data" / "curated"
SEED = ROOT.parent / "shared" / "seed"
# finding table → the prefix of its findings' local names under exoid:finding/
FINDING_TABLES = {
    "transfer_findings.tsv": "T2-",
    "text_findings.tsv": "text-",
    "biomarker_findings.tsv": "biomarker-",
    "storage_findings.tsv": "storage-",
}
TAXA = {
    "human": "obo:NCBITaxon_9606",
    "mouse": "obo:NCBITaxon_10090",
    "mammal": "obo:NCBITaxon_40674",
    "cellular-organisms": "obo:NCBITaxon_131567",
}
BROAD = {"mammal", "cellular-organisms"}  # the taxa of statements that name no organism
# ECO's "... used in manual assertion" kinds: in vitro, in vivo, ex vivo assay evidence; a clinical
# trial's in vivo observations are clinical study evidence
SYSTEM_EVIDENCE = {"in-vitro": "obo:ECO_0007122", "in-vivo": "obo:ECO_0007119", "clinical-samples": "obo:ECO_0007690"}
CLINICAL_STUDY = "obo:ECO_0007121"


def cells(value: str) -> set[str]:
    return {v.strip() for v in value.split(";") if v.strip()}


CONTEXTS = table("finding_contexts.tsv")
QUANTITIES = table("finding_quantities.tsv")
FINDINGS = {prefix + row["finding_id"]: row for name, prefix in FINDING_TABLES.items() for row in table(name)}


@pytest.fixture(scope="module")
def kg(project: Settings) -> KnowledgeGraph:
    return KnowledgeGraph(project, Store.open(project.store_path))


def per_finding(kg: KnowledgeGraph, predicate: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    query = f"SELECT ?f ?v WHERE {{ ?f <{predicate}> ?v }}"
    for r in kg.query(query).records():
        found[r["f"].removeprefix("exoid:finding/")].add(r["v"])
    return found


def test_every_finding_has_exactly_one_context_row_in_table_order() -> None:
    assert [r["finding"] for r in CONTEXTS] == list(FINDINGS) and len(FINDINGS) > 150


def test_broad_taxa_are_only_for_statements_that_name_no_organism() -> None:
    for row in CONTEXTS:
        general = cells(row["taxon_basis"]) & {"general", "not-stated"}
        assert bool(cells(row["taxon"]) & BROAD) == bool(general), row
        if "general" in cells(row["taxon_basis"]):
            assert cells(row["taxon"]) <= BROAD, row


def test_cell_lines_and_mouse_mirnas_decide_the_taxon() -> None:
    """A finding's taxa include its Cellosaurus cell lines' species and, for a mouse miRNA, mouse."""
    species = {r["cell_line_id"]: r["species"] for r in table("cell_lines.tsv")}
    mouse_mirnas = {r["mirna_id"] for r in table("mirnas.tsv") if r["species"] == "mmu"}
    contexts = {r["finding"]: cells(r["taxon"]) for r in CONTEXTS}
    checked = 0
    for finding, row in FINDINGS.items():
        lines = {v for column, value in row.items() if column.endswith("cell_line") for v in cells(value or "")}
        needed = {species[line] for line in lines}
        if cells(row.get("cargo_mirna") or "") & mouse_mirnas:
            needed.add("mouse")
        assert needed <= contexts[finding], (finding, needed)
        checked += bool(needed)
    assert checked > 30


def test_clinical_biomarker_findings_are_human_clinical_samples() -> None:
    rows = {r["finding"]: r for r in CONTEXTS}
    for finding in (f for f in FINDINGS if f.startswith("biomarker-")):
        assert "human" in cells(rows[finding]["taxon"]), finding
        assert "clinical-samples" in cells(rows[finding]["experimental_system"]), finding


def test_the_graph_gives_every_finding_its_taxa_and_systems(kg: KnowledgeGraph) -> None:
    taxa = per_finding(kg, "https://w3id.org/exoowl/ontology/studiedInTaxon")
    systems = per_finding(kg, "https://w3id.org/exoowl/ontology/hasExperimentalSystem")
    for row in CONTEXTS:
        assert taxa[row["finding"]] == {TAXA[t] for t in cells(row["taxon"])}, row
        assert systems[row["finding"]] == {f"exoid:experimental-system/{s}" for s in cells(row["experimental_system"])}


def test_evidence_types_follow_the_references_and_the_systems(kg: KnowledgeGraph) -> None:
    """An author statement with a traceable reference (TAS) when the finding cites one, else without
    (NAS); plus the assay evidence of each experimental system (none for the literature)."""
    evidence = per_finding(kg, "https://w3id.org/exoowl/ontology/hasEvidence")
    for row in CONTEXTS:
        cited = bool(re.search(r"\d", FINDINGS[row["finding"]]["reference"]))
        expected = {"obo:ECO_0000304" if cited else "obo:ECO_0000303"}
        expected |= {SYSTEM_EVIDENCE[s] for s in cells(row["experimental_system"]) if s in SYSTEM_EVIDENCE}
        if (
            FINDINGS[row["finding"]].get("kind") == "exoowl:ClinicalTrialFinding"
            and SYSTEM_EVIDENCE["in-vivo"] in expected
        ):
            expected = expected - {SYSTEM_EVIDENCE["in-vivo"]} | {CLINICAL_STUDY}
        assert evidence[row["finding"]] == expected, row["finding"]
    assert len(evidence) == len(FINDINGS)


def test_every_quantity_belongs_to_a_finding_and_quotes_the_review() -> None:
    text = " ".join((SEED / "000_a5e1102bf11ab408.txt").read_text(encoding="utf-8").split()) if SEED.exists() else ""
    for row in QUANTITIES:
        assert row["finding"] in FINDINGS, row
        if text:
            assert " ".join(row["as_reported"].split()) in text, row["as_reported"]
    if not text:
        pytest.skip("the review (../shared/seed) is not beside the project")


def test_the_review_s_numbers_are_value_specifications_with_units(kg: KnowledgeGraph) -> None:
    found = {
        (r["finding"].removeprefix("exoid:finding/"), r["qualifier"], Decimal(r["value"]), r["unit"])
        for r in kg.run("finding-values").records()
    }
    assert ("text-exosome-size", "range-minimum", Decimal(30), "obo:UO_0000018") in found
    assert ("text-exosome-size", "range-maximum", Decimal(150), "obo:UO_0000018") in found
    assert ("text-tenfold-secretion", "at-least", Decimal(10), "obo:UO_0010006") in found
    assert ("text-circ-mirna-ago2", "less-than", Decimal(10), "obo:UO_0000187") in found
    assert ("text-dd-paclitaxel", "exact", Decimal(50), "obo:UO_0010006") in found
    assert ("storage-exoquick-18h", "at-most", Decimal(18), "obo:UO_0000032") in found
    assert len(found) == len(QUANTITIES)
    one = kg.run("finding-values", finding_iri="exoid:finding/text-tenfold-secretion").records()
    assert [(r["quantity"], r["references"]) for r in one] == [
        ("exosome secretion by cancer cells relative to normal cells", "review")
    ]


def test_findings_by_evidence_filters_by_taxon_synonym_and_system(kg: KnowledgeGraph) -> None:
    rows = kg.run("findings-by-evidence", taxon="mouse", system="in vivo").records()
    expected = {
        r["finding"] for r in CONTEXTS if "mouse" in cells(r["taxon"]) and "in-vivo" in cells(r["experimental_system"])
    }
    assert {r["finding"].removeprefix("exoid:finding/") for r in rows} == expected and len(expected) >= 5
    assert all(
        "Mus musculus" in r["taxa"] and "in vivo assay evidence used in manual assertion" in r["evidence_types"]
        for r in rows
    )
    assert len(kg.run("findings-by-evidence").records()) == len(FINDINGS)
