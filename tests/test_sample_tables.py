"""The Vesiclepedia sample mapping tables (data/mappings/vocabulary/{samples,sample-diseases,cell-lines}
.sssom.tsv and data/mappings/cell_line_diseases.tsv): they load, their Cellosaurus and MONDO ids and
labels agree with ../shared/reference, and they cover >= 95% of the sample rows' values."""

from __future__ import annotations

import csv
import gzip
import sys
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from exoowl.vocabulary import Vocabulary, load

REPO = Path(__file__).resolve().parents[1]
TABLES = REPO / "data" / "mappings" / "vocabulary"
DISEASES = REPO / "data" / "mappings" / "cell_line_diseases.tsv"
REF = Path(__file__).resolve().parents[2] / "shared" / "reference"
SAMPLE = REF / "vesiclepedia-sample" / "Vesiclepedia_experiment_details.sample.txt"
NAMES = ("samples", "sample-diseases", "cell-lines")

needs_ref = pytest.mark.skipif(not REF.is_dir(), reason=f"reference data not found at {REF}")


@cache
def table(name: str) -> Vocabulary:
    return load(TABLES / f"{name}.sssom.tsv")


@cache
def cellosaurus() -> tuple[dict[str, str], set[str]]:
    """Recommended name by accession, and every accession, of the human Cellosaurus file."""
    names: dict[str, str] = {}
    with gzip.open(REF / "cellosaurus_human_names_2020.tsv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["name_position"] == "1":
                names[row["accession"]] = row["name"]
    return names, set(names)


@cache
def mondo() -> dict[str, str]:
    labels: dict[str, str] = {}
    for name in ("mondo_exactmatch_doid.sssom.tsv", "mondo_exactmatch_ncit.sssom.tsv"):
        for line in (REF / name).read_text(encoding="utf-8").splitlines():
            cells = line.split("\t")
            if not line.startswith("#") and cells[0].startswith("MONDO:"):
                labels[cells[0]] = cells[1]
    return labels


def diseases() -> list[dict[str, str]]:
    lines = [line for line in DISEASES.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@pytest.mark.parametrize("name", NAMES)
def test_tables_load_and_have_the_release_version(name: str) -> None:
    vocabulary = table(name)
    assert date.fromisoformat(vocabulary.version) <= date.today()  # the mapping_set_version it states
    assert len(vocabulary.terms) > 100


def test_sample_terms_are_of_the_expected_ontologies() -> None:
    for terms in table("samples").terms.values():
        for term in terms:
            assert term.curie.split(":")[0] in {"UBERON", "CL", "OBI", "exoowl"}, term
    (plasma,) = table("samples").lookup("Plasma ") or ()
    assert plasma.curie == "OBI:0100016"  # OBI 'blood plasma specimen', which replaced exoowl:Plasma


@needs_ref
def test_cellosaurus_accessions_and_labels_agree_with_the_reference() -> None:
    names, known = cellosaurus()
    checked = 0
    for terms in table("cell-lines").terms.values():
        for term in terms:
            assert term.curie.startswith("CVCL:") and term.iri.startswith("https://www.cellosaurus.org/CVCL_")
            accession = "CVCL_" + term.curie.removeprefix("CVCL:")
            if accession in known:
                assert term.label == names[accession], term
                checked += 1
    assert checked > 100


@needs_ref
def test_mondo_ids_and_labels_agree_with_the_reference() -> None:
    labels = mondo()
    for terms in table("sample-diseases").terms.values():
        for term in terms:
            assert labels.get(term.curie) == term.label, term
    for row in diseases():
        if row["mondo_id"]:
            assert labels.get(row["mondo_id"]) == row["mondo_label"], row


def test_cell_line_diseases_are_of_lines_in_the_cell_line_table() -> None:
    accessions = {t.curie for terms in table("cell-lines").terms.values() for t in terms}
    rows = diseases()
    assert rows and all(row["cellosaurus_accession"] in accessions for row in rows)
    assert sum(bool(row["mondo_id"]) for row in rows) / len(rows) > 0.9


@pytest.mark.skipif(not SAMPLE.is_file(), reason=f"sample rows not found at {SAMPLE}")
def test_the_sample_rows_are_covered() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import sample_coverage as cov
    finally:
        sys.path.pop(0)
    rows = cov.read_rows(SAMPLE)
    assert len(rows) > 150
    samples = cov.count(rows, 0, lambda r: True)
    not_cl = cov.count(rows, 2, lambda r: [c.strip() for c in r[1].split("|")] != ["cl"])
    lines = cov.count(rows, 2, cov.is_cell_line)
    for counts, vocabulary, mapped_at_least in (
        (samples, table("samples"), 0.95),
        (samples, table("sample-diseases"), 0.0),
        (not_cl, table("sample-diseases"), 0.0),
        (lines, table("cell-lines"), 0.5),
    ):
        total = sum(counts.values())
        judged = sum(n for v, n in counts.items() if vocabulary.lookup(v) is not None)
        mapped = sum(n for v, n in counts.items() if vocabulary.lookup(v))
        assert judged / total >= 0.95, vocabulary.name
        assert mapped / total >= mapped_at_least, vocabulary.name
