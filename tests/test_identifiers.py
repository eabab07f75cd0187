"""Check every external identifier in data/curated against the offline reference data.

The reference files live beside the repository in ../shared/reference (and the review text in
../shared/seed). When they are absent the identifier tests are skipped; the structural tests
(mappings vs. tables, links between tables) always run.
"""

from __future__ import annotations

import csv
import gzip
import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CURATED = REPO / "data" / "curated"
MAPPINGS = REPO / "data" / "mappings"
SHARED = Path(__file__).resolve().parents[2] / "shared"
REF = SHARED / "reference"
SEED = SHARED / "seed"

needs_ref = pytest.mark.skipif(
    not REF.is_dir(), reason=f"reference data not found at {REF} (shared/reference beside the repo)"
)


# ----------------------------------------------------------------------------- helpers
def read_table(name: str) -> list[dict[str, str]]:
    """Read a curated TSV: '#' lines are comments, blank lines skipped."""
    with open(CURATED / name, encoding="utf-8") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def split(cell: str, sep: str = ";") -> list[str]:
    return [x.strip() for x in cell.split(sep) if x.strip()]


def load_mappings() -> dict[str, dict]:
    return {p.name: tomllib.load(open(p, "rb")) for p in sorted(MAPPINGS.glob("*.toml"))}


@cache
def hgnc_by_entrez() -> dict[str, dict[str, str]]:
    with gzip.open(REF / "hgnc_genes_2019.tsv.gz", "rt", encoding="utf-8") as fh:
        return {r["entrez_id"]: r for r in csv.DictReader(fh, delimiter="\t") if r["entrez_id"]}


@cache
def mirbase_mature() -> dict[str, dict[str, str]]:
    with open(REF / "mirbase_mature_hsa_mmu.tsv", encoding="utf-8") as fh:
        return {r["mature_accession"]: r for r in csv.DictReader(fh, delimiter="\t")}


@cache
def mirbase_history() -> list[dict[str, str]]:
    with open(REF / "mirbase_name_history_hsa_mmu.tsv", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh, delimiter="\t") if r["type"] == "mature"]


@cache
def cellosaurus() -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    with gzip.open(REF / "cellosaurus_human_names_2020.tsv.gz", "rt", encoding="utf-8") as fh:
        for r in csv.DictReader(fh, delimiter="\t"):
            out.setdefault(r["accession"], []).append(r)
    return out


@cache
def cellosaurus_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for acc, rows in cellosaurus().items():
        for r in rows:
            for n in (r["name"], r["name_without_qualifier"]):
                names.setdefault(n.lower(), set()).add(acc)
    return names


@cache
def doid_labels() -> dict[str, str]:
    with open(REF / "doid_HumanDO_2026-07-31.tsv", encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {r["id"].strip('"'): r["label"].strip('"') for r in rows}


@cache
def mondo_doid_pairs() -> set[tuple[str, str]]:
    pairs = set()
    with open(REF / "mondo_exactmatch_doid.sssom.tsv", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("subject_id"):
                continue
            f = line.rstrip("\n").split("\t")
            pairs.add((f[0], f[3]))
    return pairs


@cache
def go_labels() -> dict[str, str]:
    with open(REF / "go_terms_partial_2026.tsv", encoding="utf-8") as fh:
        return {r["go_id"]: r["label"] for r in csv.DictReader(fh, delimiter="\t")}


# ----------------------------------------------------------------------------- structure
def test_every_table_has_one_mapping_and_columns_exist():
    tables = {p.name for p in CURATED.glob("*.tsv")}
    mapped = {m["table"] for m in load_mappings().values()}
    assert tables == mapped, f"tables without mapping: {tables - mapped}; mappings without table: {mapped - tables}"
    for name, m in load_mappings().items():
        assert name == m["table"].replace(".tsv", ".toml")
        header = list(read_table(m["table"])[0].keys())
        for col in m.get("columns", {}):
            assert col in header, f"{name}: column {col} not in {m['table']}"
        for col in re.findall(r"{(\w+)}", m["subject"] + m.get("label", "")):
            assert col in header, f"{name}: template column {col} not in {m['table']}"
        if m.get("source"):
            assert m["source"] in header


def test_cells_satisfy_required_pattern_and_datatype():
    """The real loader enforces each mapping's required cells, patterns (per item of a multi-valued
    cell) and datatypes, and names file:line:column on the first failure."""
    from exoowl.curate import curated_graph

    graph, counts = curated_graph(CURATED, CURATED.parent / "mappings")
    assert len(graph) > 0 and all(n > 0 for n in counts.values())


def _subject(template: str, row: dict[str, str]) -> str:
    """The subject IRI a mapping's template names for one row of its table."""
    return re.sub(r"{(\w+)}", lambda mm: row[mm.group(1)], template)


def _defined_subjects() -> set[str]:
    defined = set()
    for m in load_mappings().values():
        for row in read_table(m["table"]):
            defined.add(_subject(m["subject"], row))
    return defined


def test_object_links_point_at_defined_individuals():
    defined = _defined_subjects()
    problems = []
    for m in load_mappings().values():
        for i, row in enumerate(read_table(m["table"]), start=1):
            for col, spec in m.get("columns", {}).items():
                tmpl = spec.get("object")
                if not tmpl or tmpl == "curie" or not row[col]:
                    continue
                values = split(row[col], spec["separator"]) if spec.get("separator") else [row[col]]
                for v in values:
                    target = tmpl.replace("{}", v)
                    if target not in defined:
                        problems.append(f"{m['table']} row {i} {col}: {target}")
            src = m.get("source")
            if src:
                for n in split(row[src]):
                    if f"reference/{n}" not in defined:
                        problems.append(f"{m['table']} row {i}: reference/{n} undefined")
    assert not problems, "\n".join(problems[:40])


def test_subjects_are_unique_per_table():
    for m in load_mappings().values():
        subs = [_subject(m["subject"], row) for row in read_table(m["table"])]
        dup = {s for s in subs if subs.count(s) > 1}
        assert not dup, f"{m['table']}: duplicate subjects {dup}"


# ----------------------------------------------------------------------------- genes
@needs_ref
def test_gene_identifiers_agree_with_hgnc():
    hg = hgnc_by_entrez()
    for g in read_table("genes.tsv"):
        r = hg.get(g["ncbi_gene_id"])
        assert r is not None, f"NCBI Gene {g['ncbi_gene_id']} not in HGNC file"
        assert r["status"] == "Approved", g["symbol"]
        assert r["symbol"] == g["symbol"], f"{g['ncbi_gene_id']}: {g['symbol']} != HGNC {r['symbol']}"
        assert r["hgnc_id"] == g["hgnc_id"], g["symbol"]
        if g["uniprot_id"]:
            assert g["uniprot_id"] in r["uniprot_ids"].split("|"), g["symbol"]
        assert r["name"] == g["name"], g["symbol"]
        for link in ("ncbi_gene_link", "exocarta_link", "vesiclepedia_link"):
            assert g[link] == g["ncbi_gene_id"], (g["symbol"], link)
        assert g["uniprot_link"] == g["uniprot_id"] and g["hgnc_link"] == g["hgnc_id"]


@needs_ref
def test_protein_accessions_match_their_gene():
    hg = hgnc_by_entrez()
    for p in read_table("proteins.tsv"):
        r = hg[p["encoded_by"]]
        assert p["uniprot_id"] in r["uniprot_ids"].split("|"), p
        assert r["symbol"] == p["symbol"], p


# ----------------------------------------------------------------------------- miRNAs
def _review_names(cell: str, species: str) -> list[str]:
    out = []
    for raw in split(cell, ";"):
        raw = re.sub(r"\(.*?\)", "", raw).strip()
        tok = raw.split()[-1] if raw else ""
        tok = tok.replace("miRNA-", "miR-").replace("microRNA", "miR-")
        if tok.startswith("-"):
            tok = "miR" + tok
        if tok.lower().startswith(("mir-", "let-")) and species:
            out.append(f"{species}-{tok}")
    return out


@needs_ref
def test_mirna_accessions_names_and_arm_rule():
    mat, hist = mirbase_mature(), mirbase_history()
    for r in read_table("mirnas.tsv"):
        if r["resolution"] != "resolved":
            assert not r["mirbase_accession"], r["mirna_id"]
            continue
        acc = r["mirbase_accession"]
        assert r["mirna_id"] == acc == r["mirbase_link"]
        m = mat.get(acc)
        assert m is not None, f"{acc} not a v22 mature accession"
        assert m["name_v22"] == r["mirbase_name"], acc
        assert m["species"] == r["species"], acc
        names = _review_names(r["name_in_review"], r["species"])
        assert names, f"{acc}: no miRNA name parsed from {r['name_in_review']!r}"
        for n in names:
            if n == m["name_v22"]:
                continue
            rows = [h for h in hist if h["name"] == n and h["accession_in_v22"] == "yes"]
            assert rows, f"{n} ({acc}) is neither the v22 name nor a former name in miRBase"

            # arm rule: the accession that carried the bare name in the latest version
            def last(h):
                return [int(x) for x in re.findall(r"\d+", h["versions_with_this_name"].split(",")[-1])]

            expected = max(rows, key=last)["accession"]
            assert acc == expected, f"{n}: chose {acc}, arm rule gives {expected}"


@needs_ref
def test_unresolved_mirnas_really_are_unresolvable():
    hist = mirbase_history()
    names = {h["name"].lower() for h in hist}
    for r in read_table("mirnas.tsv"):
        if r["resolution"] == "unresolved-name":
            for n in re.findall(r"-(\d+[a-z]?)\b", r["name_in_review"]):
                for sp in ("hsa", "mmu"):
                    assert f"{sp}-mir-{n}".lower() not in names, f"{sp}-miR-{n} exists in miRBase"
        if r["resolution"] == "unresolved-arm":
            assert r["mirna_id"].lower() not in names, f"{r['mirna_id']} bare name exists: arm rule applies"


# ----------------------------------------------------------------------------- cell lines
@needs_ref
def test_cell_lines_against_cellosaurus():
    cel, byname = cellosaurus(), cellosaurus_names()
    for c in read_table("cell_lines.tsv"):
        acc = c["cellosaurus_id"]
        if not acc:
            # never invented: the line must really be absent from the human file
            assert c["label"].lower() not in byname, f"{c['label']} is in Cellosaurus: fill its accession"
            assert c["is_problematic"] == ""
            continue
        assert c["cell_line_id"] == acc == c["cellosaurus_link"]
        rows = cel.get(acc)
        assert rows, f"{acc} not in Cellosaurus human file"
        rec = next(r for r in rows if r["name_position"] == "1")
        assert rec["name"] == c["label"], f"{acc}: label {c['label']} != recommended {rec['name']}"
        assert c["is_problematic"] == ("true" if rec["problematic_cell_line"] == "yes" else "false"), acc
        assert c["problem_note"] == rec["problematic_comment"], acc
        known = {r["name"].lower() for r in rows} | {r["name_without_qualifier"].lower() for r in rows}
        matched = [n for n in split(c["name_in_review"]) if n.lower() in known]
        assert matched, f"{acc}: none of {c['name_in_review']!r} is a Cellosaurus name of it"
        for n in matched:
            assert byname[n.lower()] == {acc}, f"{n} is ambiguous in Cellosaurus: {byname[n.lower()]}"


def test_table2_rows_on_problematic_lines_are_flagged():
    lines = {c["cell_line_id"]: c for c in read_table("cell_lines.tsv")}
    for c in lines.values():
        if c["is_problematic"] == "true":
            assert c["problem_note"], c["cell_line_id"]


# ----------------------------------------------------------------------------- diseases and GO
@needs_ref
def test_cancers_doid_and_mondo():
    labels, pairs = doid_labels(), mondo_doid_pairs()
    for c in read_table("cancers.tsv"):
        assert labels.get(c["doid"]) == c["do_label"], f"{c['doid']} label mismatch"
        if c["mondo_id"]:
            assert (c["mondo_id"], c["doid"]) in pairs, f"{c['mondo_id']} <-> {c['doid']} not an exact match"
            assert c["mondo_class"] == "obo:" + c["mondo_id"].replace(":", "_")
        else:
            assert not any(d == c["doid"] for _, d in pairs), f"{c['doid']} has a MONDO match"


@needs_ref
def test_go_ids_and_labels():
    go = go_labels()
    for p in read_table("processes.tsv"):
        if p["go_id"]:
            assert go.get(p["go_id"]) == p["go_label"], p["go_id"]
    for c in read_table("compartments.tsv"):
        assert go.get(c["go_id"]) == c["label"], c["go_id"]
        assert c["go_class"] == "obo:" + c["go_id"].replace(":", "_")


def test_negative_controls_are_left_to_the_reasoner():
    """A marker with a compartment is a negative control; its purity class is inferred from the
    compartment (tests/test_ontology_release.py checks the inference), never asserted by hand."""
    controls = [m for m in read_table("markers.tsv") if m["compartment"]]
    assert {m["compartment"] for m in controls} == {
        "endoplasmic-reticulum",
        "golgi-apparatus",
        "mitochondrion",
        "nucleus",
        "risc-complex",
    }
    assert all(m["marker_class"] == "exoowl:EVMarker" for m in controls)


# ----------------------------------------------------------------------------- Table 2
TABLE2_CLASSES = (
    "Bone metastasis|Pre-metastasis|Metastasis|Proliferation|Dormancy|Drug resistance|"
    "Inflammation|Angiogenesis|Apoptosis|Inhibitor|/"
)


def _seed_table2() -> dict[int, set[str]]:
    """Reference number -> classifications printed for it in Table 2 of the review text."""
    text = next(SEED.glob("*.txt")).read_text(encoding="utf-8")
    part = text[text.index("Table 2:") :]
    out: dict[int, set[str]] = {}
    for cls, n in re.findall(rf"({TABLE2_CLASSES})\s*\[(\d+)\]", part):
        out.setdefault(int(n), set()).add(cls)
    return out


def test_table2_has_47_findings():
    rows = read_table("transfer_findings.tsv")
    assert len(rows) == 47
    assert len({r["finding_id"] for r in rows}) == 47
    for r in rows:
        assert re.sub(r"[a-z]$", "", r["finding_id"]) == r["reference"], r["finding_id"]


@pytest.mark.skipif(not SEED.is_dir(), reason=f"review text not found at {SEED}")
def test_table2_references_and_classifications_match_review():
    seed = _seed_table2()
    rows = read_table("transfer_findings.tsv")
    refs = {int(r["reference"]) for r in rows}
    assert refs == set(seed), f"missing {set(seed) - refs}, extra {refs - set(seed)}"
    assert min(refs) == 43 and max(refs) == 109
    for r in rows:
        printed = seed[int(r["reference"])]
        assert r["classification"] in printed, (r["finding_id"], r["classification"], printed)
        if len(printed) > 1:  # copies disagree: the choice must be explained
            assert all(p in r["curation_note"] for p in printed), r["finding_id"]


def test_table2_outcomes_follow_classification():
    cls_to_proc = {
        "Metastasis": "metastasis",
        "Bone metastasis": "bone-metastasis",
        "Pre-metastasis": "pre-metastatic-niche-formation",
        "Proliferation": "cell-proliferation",
        "Dormancy": "dormancy",
        "Drug resistance": "drug-resistance",
        "Inflammation": "inflammation",
        "Angiogenesis": "angiogenesis",
        "Apoptosis": "apoptosis",
        "Inhibitor": "tumor-inhibition",
        "/": "",
    }
    for r in read_table("transfer_findings.tsv"):
        if r["outcome"] == "metastasis-suppression":  # an anti-metastatic function under 'Metastasis'
            assert r["classification"] == "Metastasis" and "metastasis suppression" in r["curation_note"]
            continue
        assert r["outcome"] == cls_to_proc[r["classification"]], r["finding_id"]


def test_every_fact_row_has_provenance():
    for m in load_mappings().values():
        if not m.get("source"):
            continue
        header = read_table(m["table"])[0].keys()
        assert "reported_in" in header, m["table"]
        for r in read_table(m["table"]):
            assert r["reported_in"] == "review"
