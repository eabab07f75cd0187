"""exoowl import: ExoCarta/Vesiclepedia downloads → one graph per source and kind, atomically.

The real ExoCarta 5 protein/mRNA file is read from ../shared/reference when present; the messy
files are written here, with every kind of defect the importer must report."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from conftest import SHARED
from test_cli import run

from exoowl.build import build
from exoowl.config import Settings
from exoowl.errors import InputError
from exoowl.importers import import_file, import_graph
from exoowl.store import Store, StoreLocation

EXOCARTA = SHARED / "reference" / "exocarta_protein_mrna_details_5_2024-06-18.csv"
EXOOWL = "PREFIX exoowl: <https://w3id.org/exoowl/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
CD63 = "967"  # NCBI Gene ID of CD63 in data/curated/genes.tsv
HEADER = "CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n"
MESSY = HEADER + "".join(
    [
        "1\tprotein\t967\tCD63\tHomo sapiens\t10\tMass spectrometry|Western blotting\n",  # curated gene
        "2\tmrna\t999999901\tFAKE1\thomo  sapiens\t10\tMicroarray\n",  # spelling, spaces
        "3\tMRNA\t999999902\tFAKE2\tHuman\t11\t\n",  # upper case, alias
        "4\tprotein\tnot-a-number\tBAD\tHomo sapiens\t11\tMass spectrometry\n",  # bad gene id (line 5)
        "5\tprotein\t999999903\n",  # short row (line 6)
        "1\tprotein\t999999904\tDUP\tHomo sapiens\t11\tMass spectrometry\n",  # duplicate id (line 7)
        "6\tprotein\t999999905\tRAT1\tRattus norvegicus\t12\tMass spectrometry|Mass spectrometry\n",
        "7\tsnoRNA\t999999906\tFLY1\tDrosophila\t12\tRNA-seq\n",
    ]
)
EXPERIMENTS = (
    "EXPERIMENT ID\tPUBMED ID\tSPECIES\tEXPERIMENT DESCRIPTION\tSAMPLE\tSAMPLE SOURCE\tSAMPLE NAME\t"
    "IDENTIFICATIONS\tMETHODS\tYEAR\tISOLATION METHOD\tVESICLE TYPE\n"
    "10\t12345678\tHomo sapiens\tx\tColorectal cancer cells\tx\tx\tx\tx\t2010\tx\tExosomes/Microvesicles\n"
    "11\t0\tHomo sapiens|Mus musculus\tx\tPlasma\tx\tx\tx\tx\t2011\tx\tExosomes\n"
)


def imported(settings: Settings, path: Path, source: str = "exocarta", **options):
    return import_file(StoreLocation(settings.store_path), source, path, **options)


def ask(settings: Settings, query: str):
    """A SELECT's rows as a list, an ASK's answer as a bool."""
    result = Store.open(settings.store_path).query(EXOOWL + query)
    return bool(result) if query.lstrip().startswith("ASK") else list(result)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.skipif(not EXOCARTA.exists(), reason=f"the real ExoCarta file is not at {EXOCARTA}")
def test_the_real_exocarta_file_imports_every_record_onto_the_curated_genes(kg: Settings) -> None:
    with EXOCARTA.open(newline="") as handle:
        records = list(csv.DictReader(handle))
    report = imported(kg, EXOCARTA, released=date(2024, 6, 18))
    assert report.kind == "cargo" and report.bad_rows == 0 and report.records == len(records)
    spellings = Counter(r["CONTENT TYPE"] for r in records)
    assert report.normalised["content type 'mrna' → 'mRNA'"] == spellings["mrna"]
    rows = ask(
        kg,
        f"""SELECT (COUNT(?o) AS ?n) WHERE {{ ?o exoowl:observedMolecule <https://w3id.org/exoowl/id/gene/{CD63}> }}""",
    )
    assert int(rows[0]["n"].value) == sum(r["ENTREZ GENE ID"] == CD63 for r in records)
    labels = ask(kg, f"SELECT ?l WHERE {{ <https://w3id.org/exoowl/id/gene/{CD63}> rdfs:label ?l }}")
    assert [r["l"].value for r in labels] == ["CD63"]  # the curated gene, not a second label
    version = ask(kg, "SELECT ?v WHERE { ?f a exoowl:SourceFile ; exoowl:releaseVersion ?v }")
    assert [r["v"].value for r in version] == ["5"]


def test_messy_rows_are_normalised_or_reported_with_their_line_numbers(kg: Settings, tmp_path: Path) -> None:
    path = write(tmp_path, "VESICLEPEDIA_PROTEIN_MRNA_DETAILS_5.1.txt", MESSY)
    report = imported(kg, path, "vesiclepedia", max_rejected=0.5)
    assert report.records == 5 and report.bad_rows == 3
    assert [line for line, _ in report.bad_examples] == [5, 6, 7]
    assert "not an NCBI Gene ID" in report.bad_examples[0][1] and "appears again" in report.bad_examples[2][1]
    assert report.normalised["content type 'mrna' → 'mRNA'"] == 1
    assert report.normalised["content type 'MRNA' → 'mRNA'"] == 1
    assert report.normalised["species 'Human' → 'Homo sapiens'"] == 1
    assert report.graph == import_graph("vesiclepedia", "cargo")
    methods = ask(kg, "SELECT ?m WHERE { <https://w3id.org/exoowl/id/vesiclepedia/cargo/6> exoowl:detectionMethod ?m }")
    assert [r["m"].value for r in methods] == ["Mass spectrometry"]
    rat = ask(
        kg,
        "ASK { <https://w3id.org/exoowl/id/gene/999999905> <http://purl.obolibrary.org/obo/RO_0002162> "
        "<http://purl.obolibrary.org/obo/NCBITaxon_10116> }",
    )
    assert rat
    fly = ask(kg, "SELECT ?s WHERE { <https://w3id.org/exoowl/id/vesiclepedia/cargo/7> exoowl:speciesAsReported ?s }")
    assert [r["s"].value for r in fly] == ["Drosophila"]
    page = ask(
        kg,
        "ASK { <https://w3id.org/exoowl/id/gene/967> rdfs:seeAlso "
        "<http://microvesicles.org/gene_summary?gene_id=967> }",
    )
    assert page


def test_experiment_details_with_missing_pubmed_ids(kg: Settings, tmp_path: Path) -> None:
    report = imported(kg, write(tmp_path, "experiments.txt", EXPERIMENTS), "vesiclepedia")
    assert report.kind == "experiments" and report.records == 2
    assert report.normalised["'0' in PUBMED ID read as missing"] == 1
    rows = ask(
        kg,
        "SELECT ?e ?p WHERE { ?e a exoowl:EVExperiment ; exoowl:recordId ?id "
        "OPTIONAL { ?e exoowl:pubmedId ?p } } ORDER BY ?e",
    )
    assert [(r["e"].value.rsplit("/", 1)[-1], r["p"].value if r["p"] else None) for r in rows] == [
        ("10", "12345678"),
        ("11", None),
    ]
    vesicles = ask(kg, "SELECT ?v WHERE { ?e exoowl:recordId '10' ; exoowl:vesicleTypeAsReported ?v } ORDER BY ?v")
    assert [r["v"].value for r in vesicles] == ["Exosomes", "Microvesicles"]
    # the samples are typed with their specimen kind (OBI 'blood plasma specimen') or say what they were of
    # (malignant cells: exoowl:MalignantCellPopulation), both through the samples vocabulary
    kinds = ask(
        kg,
        "SELECT ?id ?how ?kind WHERE { ?e exoowl:recordId ?id ; exoowl:hasSample ?s . VALUES ?how "
        "{ <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> exoowl:sampleOfType } ?s ?how ?kind } ORDER BY ?id",
    )
    found = {(r["id"].value, r["how"].value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], r["kind"].value) for r in kinds}
    assert ("11", "type", "http://purl.obolibrary.org/obo/OBI_0100016") in found
    assert ("10", "sampleOfType", "https://w3id.org/exoowl/ontology/MalignantCellPopulation") in found


def test_mirna_records_reuse_the_curated_mirna_by_name(kg: Settings, tmp_path: Path) -> None:
    text = "MIRNA ID\tSPECIES\nhsa-miR-105-5p\tHomo sapiens\nhsa-miR-99999\tHomo sapiens\n"
    report = imported(kg, write(tmp_path, "mirna.txt", text))
    assert report.kind == "mirna" and report.records == 2
    molecules = ask(
        kg,
        "SELECT ?m WHERE { ?o a exoowl:CargoObservation ; exoowl:contentType 'miRNA' ; "
        "exoowl:observedMolecule ?m } ORDER BY ?m",
    )
    assert [r["m"].value for r in molecules] == [
        "https://w3id.org/exoowl/id/exocarta/mirna/hsa-miR-99999/9606",
        "https://w3id.org/exoowl/id/mirna/MIMAT0000102",
    ]


def test_a_reimport_replaces_the_graph_and_a_build_keeps_it(kg: Settings, tmp_path: Path) -> None:
    imported(kg, write(tmp_path, "a.txt", MESSY), max_rejected=0.5)
    second = imported(kg, write(tmp_path, "b.txt", HEADER + "9\tprotein\t999999909\tNEW\tHomo sapiens\t1\tMS\n"))
    assert second.records == 1
    ids = ask(
        kg, f"SELECT ?id WHERE {{ GRAPH <{second.graph}> {{ ?o exoowl:recordId ?id ; a exoowl:CargoObservation }} }}"
    )
    assert [r["id"].value for r in ids] == ["9"]
    build(kg)
    assert ask(kg, "ASK { <https://w3id.org/exoowl/id/exocarta/cargo/9> a exoowl:CargoObservation }")
    assert StoreLocation(kg.store_path).manifest()["graphs"][second.graph] == second.triples


@pytest.mark.parametrize(
    "text, message",
    [
        ("A\tB\n1\t2\n", "matches no known download"),
        (HEADER + "x\tprotein\tnope\tX\tHomo sapiens\t1\tMS\n", "no record could be imported"),
    ],
)
def test_a_file_that_cannot_be_imported_changes_nothing(kg: Settings, tmp_path: Path, text: str, message: str) -> None:
    location = StoreLocation(kg.store_path)
    before = location.current()
    with pytest.raises(InputError, match=message):
        imported(kg, write(tmp_path, "bad.txt", text))
    assert location.current() == before and location.interrupted() == []
    assert not list(location.builds_dir.glob(".import-*"))


def test_the_command_reports_progress_bad_rows_and_normalisations(kg: Settings, tmp_path: Path) -> None:
    refused = run(kg, "import", "vesiclepedia", str(write(tmp_path, "v.txt", MESSY)))
    assert refused.returncode == 2 and "3 of 8 rows (37.5%) were rejected, more than 1%" in refused.stderr
    result = run(kg, "import", "vesiclepedia", "--max-rejected", "0.5", str(write(tmp_path, "v.txt", MESSY)))
    assert result.returncode == 0, result.stderr
    assert "imported 5 cargo records" in result.stdout and "records/s" in result.stdout
    assert "v.txt:5: skipped: ENTREZ GENE ID 'not-a-number'" in result.stderr
    assert "normalised: content type 'mrna' → 'mRNA': 1 row(s)" in result.stderr
    failed = run(kg, "import", "exocarta", str(write(tmp_path, "bad.txt", "A,B\n1,2\n")))
    assert failed.returncode == 2 and "bad.txt:1" in failed.stderr
