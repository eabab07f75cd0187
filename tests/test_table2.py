"""Each Table 2 finding of the review is retrievable by SPARQL with its donor, cargo, recipient,
targets and outcome; and what the graph holds for it matches what the review prints in that row."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from exoowl.api import KnowledgeGraph
from exoowl.config import Settings
from exoowl.store import Store

ROOT = Path(__file__).resolve().parents[1]
CURATED = ROOT / "data" / "curated"
SEED = ROOT.parent / "shared" / "seed"
ROLES = {
    "donor": ("donor_cell_line", "cell-line", "donor_cell_type", "cell-type"),
    "recipient": ("recipient_cell_line", "cell-line", "recipient_cell_type", "cell-type"),
}


def table(name: str) -> list[dict[str, str]]:
    lines = [
        line for line in (CURATED / name).read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


FINDINGS = table("transfer_findings.tsv")


def iris(cell: str, template: str) -> set[str]:
    return {f"exoid:{template}/{v}" for v in cell.split(";") if v}


def expected(row: dict[str, str]) -> dict[str, set[str]]:
    """The entities the curated row names, as CURIEs, role by role."""
    roles = {role: iris(row[a], ta) | iris(row[b], tb) for role, (a, ta, b, tb) in ROLES.items()}
    roles["cargo"] = iris(row["cargo_mirna"], "mirna") | iris(row["cargo_protein"], "protein")
    roles["target"] = iris(row["target_gene"], "gene")
    roles["outcome_category"] = iris(row["outcome"], "process")
    roles["outcome"] = iris(row["outcome"], f"finding/T2-{row['finding_id']}/outcome")  # the finding's own
    roles["tumor_type"] = iris(row["tumor_type"], "cancer")
    roles["reference"] = iris(row["reference"], "reference")
    return {k: v for k, v in roles.items() if v}


@pytest.fixture(scope="module")
def kg(project: Settings) -> KnowledgeGraph:
    return KnowledgeGraph(project, Store.open(project.store_path))


def test_table2_has_47_distinct_findings() -> None:
    assert len({r["finding_id"] for r in FINDINGS}) == len(FINDINGS) == 47


@pytest.mark.parametrize("row", FINDINGS, ids=lambda r: f"T2-{r['finding_id']}")
def test_finding_is_retrieved_by_sparql(kg: KnowledgeGraph, row: dict[str, str]) -> None:
    records = kg.run("finding-detail", finding=f"exoid:finding/T2-{row['finding_id']}").records()
    found: dict[str, set[str]] = {}
    for r in records:
        found.setdefault(r["role"], set()).add(r["entity"])
    assert found == expected(row)
    assert all(r["label"] and not r["label"].startswith("http") for r in records), "every entity has a label"


def seed_rows() -> dict[int, str]:
    """Reference number → the text printed in its Table 2 row (from the previous row's end)."""
    text = next(SEED.glob("*.txt")).read_text(encoding="utf-8")
    part = text[text.index("Table 2:") :]
    rows, start = {}, 0
    for match in re.finditer(r"\[(\d+)\]", part):
        number = int(match.group(1))
        if 43 <= number <= 109:
            rows[number] = rows.get(number, "") + " " + part[start : match.start()]
        start = match.end()
    return rows


def normalise(text: str) -> str:
    return re.sub(r"[\s\-–/]+", "", text.lower())


@pytest.mark.skipif(not SEED.is_dir(), reason=f"the review text is not at {SEED}")
@pytest.mark.parametrize("row", FINDINGS, ids=lambda r: f"T2-{r['finding_id']}")
def test_finding_matches_the_printed_row(row: dict[str, str]) -> None:
    rows, number = seed_rows(), int(row["reference"])
    printed = normalise(rows[number])
    if row["finding_id"][-1].isalpha() and row["finding_id"][-1] != "a":
        printed += normalise(rows.get(number + 1, ""))  # a second row under one reference is printed after it
    mirnas = {m["mirna_id"]: m for m in table("mirnas.tsv")}
    for mirna in filter(None, row["cargo_mirna"].split(";")):
        name = mirnas[mirna]["mirbase_name"] or mirnas[mirna]["name_in_review"]
        found = re.search(r"(let-7|mir-\d+[a-z]?|-\d+[a-z]?)", name.lower())
        assert found, f"no miRNA name in {name!r}"
        assert normalise(found.group(1).split("-")[-1]) in printed, f"{name} is not in the printed row"
    genes = {g["ncbi_gene_id"]: g for g in table("genes.tsv")}
    genes |= {g["gene_id"]: g for g in table("mouse_genes.tsv")}
    for gene in filter(None, row["target_gene"].split(";")):
        names = [genes[gene]["symbol"], *genes[gene]["name_in_review"].split(";")]
        assert any(normalise(n) in printed for n in names if n.strip()), f"{names} not in the printed row"


def cells(row: dict[str, str], column: str) -> set[str]:
    return {v for v in row[column].split(";") if v}


@pytest.mark.parametrize("row", FINDINGS, ids=lambda r: f"T2-{r['finding_id']}")
def test_target_kinds_are_among_the_rows_targets(row: dict[str, str]) -> None:
    repressed, receptors = cells(row, "target_repressed"), cells(row, "target_receptor")
    assert repressed | receptors <= cells(row, "target_gene") and not repressed & receptors
    assert not (repressed | receptors) or row["cargo_mirna"], "only a miRNA's targets have a kind"


def test_toll_like_receptors_are_acted_on_not_repressed() -> None:
    rows = {r["finding_id"]: r for r in FINDINGS}
    tlr7, tlr8 = "51284", "51311"  # NCBI Gene, as genes.tsv has them
    assert cells(rows["84"], "target_receptor") == {tlr7, tlr8} and cells(rows["105a"], "target_receptor") == {tlr8}
    assert not any({tlr7, tlr8} & cells(r, "target_repressed") for r in FINDINGS)


def test_repression_is_derived_from_single_mirna_findings_only(kg: KnowledgeGraph) -> None:
    expected = set()
    for row in FINDINGS:
        mirnas = cells(row, "cargo_mirna")
        if len(mirnas) == 1:
            expected |= {(f"mirna/{next(iter(mirnas))}", f"gene/{g}") for g in cells(row, "target_repressed")}
    query = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
    SELECT ?m ?g WHERE { ?m <http://purl.obolibrary.org/obo/RO_0003002> ?g }"""
    found = {(r["m"].removeprefix("exoid:"), r["g"].removeprefix("exoid:")) for r in kg.query(query).records()}
    assert found == expected and len(expected) > 20
    assert ("mirna/MIMAT0000280", "gene/4208") in found  # miR-223 represses MEF2C [76], not beta-catenin
    assert ("mirna/MIMAT0000280", "gene/1499") not in found
