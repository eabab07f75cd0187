"""The named queries in ``queries/``: headers, examples, parameters, and real answers.

Expected answers are taken from the review (/work/shared/seed, Tables 1-2 and the text) and
from the curated tables in ``data/curated``, not from the queries themselves.
"""

from __future__ import annotations

import csv
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_of

from exoowl.api import KnowledgeGraph
from exoowl.config import Settings
from exoowl.errors import UsageError
from exoowl.importers import import_file
from exoowl.query import PARAM_TYPES, named_queries, parse_params
from exoowl.store import Store, StoreLocation

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ROOT / "queries"
CURATED = ROOT / "data" / "curated"
EXOOWL = str(Path(sys.executable).with_name("exoowl"))

REQUIRED_QUERIES = {
    "metastatic-mirnas",
    "ev-markers",
    "isolation-options",
    "storage-recommendations",
    "cancer-biomarkers",
    "problematic-cell-line-findings",
    "gene-links",
    "mirna-targets",
    "transfer-findings",
    "findings-by-process",
    "recipient-cargo",
    "reference-support",
    "drug-resistance-transfers",
    "pro-metastatic-mirnas",
}
NO_MATCH = {
    "string": "zz-no-such-thing-zz",
    "name": "zz-no-such-thing-zz",
    "decimal": "-100000",
    "integer": "99999",
    "iri": "exoid:finding/no-such-finding",
}


# ---- helpers ----------------------------------------------------------------------------


IMPORTS = Path(__file__).resolve().parent / "fixtures" / "imports"


@pytest.fixture(scope="module")
def kg(project: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeGraph]:
    """The built project with the test downloads imported (a copy: imports change a store)."""
    settings = copy_of(project, tmp_path_factory.mktemp("named-queries"))
    location = StoreLocation(settings.store_path)
    for name in ("test_experiment_details.txt", "test_protein_details.txt"):
        import_file(location, "vesiclepedia", IMPORTS / name)
    with Store.open(settings.store_path) as store:
        yield KnowledgeGraph(settings, store)


def run(kg: KnowledgeGraph, name: str, **params: str) -> list[dict[str, str]]:
    return kg.run(name, **params).records()


def split(cell: str) -> set[str]:
    """A GROUP_CONCAT cell ("a; b") as a set."""
    return {part.strip() for part in cell.split(";") if part.strip()}


def refs(row: dict[str, str]) -> set[int]:
    return {int(r) for r in split(row["references"]) if r.isdigit()}


def by(rows: list[dict[str, str]], column: str) -> dict[str, list[dict[str, str]]]:
    grouped: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        grouped.setdefault(row[column], []).append(row)
    return grouped


def tsv(name: str) -> list[dict[str, str]]:
    lines = [
        ln for ln in (CURATED / name).read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")
    ]
    return list(csv.DictReader(lines, delimiter="\t"))


def examples() -> list[tuple[str, str]]:
    return [(q.name, ex) for q in named_queries(QUERIES).values() for ex in q.examples]


def example_params(example: str) -> tuple[str, dict[str, str]]:
    words = shlex.split(example)
    assert words[:2] == ["exoowl", "query"], example
    name, pairs, i = None, [], 2
    while i < len(words):
        if words[i] in ("--name", "-n"):
            name = words[i + 1]
        elif words[i] in ("--param", "-p"):
            pairs.append(words[i + 1])
        else:
            raise AssertionError(f"unexpected word {words[i]!r} in example {example!r}")
        i += 2
    assert name, example
    return name, parse_params(pairs)


# ---- headers and metadata ----------------------------------------------------------------


def test_the_required_competency_questions_exist() -> None:
    queries = named_queries(QUERIES)
    assert set(queries) >= REQUIRED_QUERIES
    assert len(queries) >= 14


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.stem)
def test_header_is_complete(path: Path) -> None:
    query = named_queries(QUERIES)[path.stem]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", query.name), "file names are kebab-case"
    assert query.question.endswith("?") and len(query.question) > 30
    assert query.examples, "at least one '# example:' line"
    for p in query.parameters:
        assert p.type in PARAM_TYPES and p.description, p
    text = path.read_text(encoding="utf-8")
    assert "PREFIX exoowl: <https://w3id.org/exoowl/ontology/>" in text
    assert "ORDER BY" in text, "deterministic output"
    assert "exo:" not in text.replace("exoowl:", "").replace("exoid:", "")
    # every declared parameter is used as a variable and every optional one is tested for BOUND or defaulted (COALESCE)
    for p in query.parameters:
        assert f"?{p.name}" in text.split("WHERE", 1)[1], p.name
        if not p.required:
            assert f"!BOUND(?{p.name})" in text or f"COALESCE(?{p.name}," in text, p.name


@pytest.mark.parametrize("name,example", examples())
def test_example_parses(name: str, example: str) -> None:
    query = named_queries(QUERIES)[name]
    ex_name, params = example_params(example)
    assert ex_name == name
    known = {p.name for p in query.parameters}
    assert set(params) <= known, f"unknown --param in {example!r}"
    assert {p.name for p in query.parameters if p.required} <= set(params)


def test_cli_list_shows_every_query_with_its_parameters(project: Settings) -> None:
    env = {**os.environ, "EXOOWL_ROOT": str(project.root), "EXOOWL_STORE": str(project.store_path)}
    out = subprocess.run([EXOOWL, "query", "--list"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    for query in named_queries(QUERIES).values():
        assert query.name in out.stdout and query.question in out.stdout
        for p in query.parameters:
            assert f"{p.name}=<{p.type}>" in out.stdout


# ---- every query runs, answers its example, rejects bad parameters, and its filters filter --


@pytest.mark.parametrize("name,example", examples())
def test_example_returns_rows_with_readable_columns(kg: KnowledgeGraph, name: str, example: str) -> None:
    _, params = example_params(example)
    result = kg.run(name, **params)
    assert result.kind == "select"
    assert len(result.rows) >= 1, example
    for variable in result.variables:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", variable), variable
    assert result.records() == kg.run(name, **params).records(), "deterministic order"


def test_fact_stating_queries_cite_references(kg: KnowledgeGraph) -> None:
    for name, query in named_queries(QUERIES).items():
        if name in ("reference-support", "inventory", "finding-detail", "label-search", "markers-by-vesicle-type"):
            continue  # a reference's findings; counts; one finding with its references as rows; names; counts
        _, params = example_params(query.examples[0])
        variables = kg.run(name, **params).variables
        # the review's findings cite its references; a database's experiments cite their article (PubMed)
        assert "references" in variables or "pubmed_id" in variables, name


@pytest.mark.parametrize("name", sorted(named_queries(QUERIES)))
def test_unknown_parameter_is_rejected(kg: KnowledgeGraph, name: str) -> None:
    with pytest.raises(UsageError):
        kg.run(name, no_such_parameter="x")


@pytest.mark.parametrize(
    "name,param", [(q.name, p.name) for q in named_queries(QUERIES).values() for p in q.parameters]
)
def test_parameter_filters(kg: KnowledgeGraph, name: str, param: str) -> None:
    query = named_queries(QUERIES)[name]
    p = next(p for p in query.parameters if p.name == param)
    assert kg.run(name, **{param: NO_MATCH[p.type]}).rows == []
    if not p.required:
        unfiltered = kg.run(name).rows
        _, params = example_params(next((e for e in query.examples if f"{param}=" in e), query.examples[0]))
        if param in params:
            assert 0 < len(kg.run(name, **params).rows) <= len(unfiltered)


def test_required_parameters_are_required(kg: KnowledgeGraph) -> None:
    with pytest.raises(UsageError):
        kg.run("gene-links")
    with pytest.raises(UsageError):
        kg.run("reference-support")
    with pytest.raises(UsageError):
        kg.run("reference-support", reference="forty-eight")
    with pytest.raises(UsageError):
        kg.run("isolation-options", volume_ml="half a mL")


# ---- real answers --------------------------------------------------------------------------


def test_metastatic_mirnas_from_mda_mb_231(kg: KnowledgeGraph) -> None:
    rows = by(run(kg, "metastatic-mirnas", donor="MDA-MB-231"), "mirna")
    # Table 2: MDA-MB-231 miR-105 -> endothelial cells, ZO-1 [48]; miR-10b -> HMLE, HOXD10/KLF4 [43];
    # MDA-MB-231/4T1 miR-210 -> endothelial cells [66]
    assert set(rows) == {"hsa-miR-105-5p", "hsa-miR-10b-5p", "hsa-miR-210-3p", "mmu-miR-210-3p"}
    (r105,) = rows["hsa-miR-105-5p"]
    assert split(r105["target_genes"]) == {"TJP1"} and refs(r105) == {48}
    assert r105["mirbase_accession"] == "MIMAT0000102" and "endothelial cell" in r105["recipients"]
    (r10b,) = rows["hsa-miR-10b-5p"]
    assert split(r10b["target_genes"]) == {"HOXD10", "KLF4"} and refs(r10b) == {43}
    assert "HMLE" in split(r10b["recipients"])
    assert refs(rows["hsa-miR-210-3p"][0]) == {66}
    # miR-223 goes *to* MDA-MB-231 [76]: not a donor answer
    assert "hsa-miR-223-3p" not in rows


def test_metastatic_mirnas_include_metastasis_subclasses(kg: KnowledgeGraph) -> None:
    rows = run(kg, "metastatic-mirnas")
    by_mirna = by(rows, "mirna")
    # bone metastasis [81] and pre-metastasis [84] are subclasses of metastasis
    assert any(refs(r) == {81} and r["outcome_label"] == "bone metastasis" for r in by_mirna["hsa-miR-192-5p"])
    assert any(refs(r) == {84} for r in by_mirna["hsa-miR-29a-3p"])
    # drug resistance [74], dormancy [72] and angiogenesis-only [82] are not metastasis
    assert "hsa-miR-134-5p" not in by_mirna and "hsa-miR-23b-3p" not in by_mirna
    assert all(82 not in refs(r) for r in rows)
    # K562 is printed "K562" and labelled "K-562" (Cellosaurus): miR-210 [99] and miR-92a [102]
    k562 = by(run(kg, "metastatic-mirnas", donor="K562"), "mirna")
    assert {m: refs(r[0]) for m, r in k562.items()} == {"hsa-miR-210-3p": {99}, "hsa-miR-92a-3p": {102}}
    assert split(k562["hsa-miR-92a-3p"][0]["target_genes"]) == {"ITGA5"}


def test_ev_markers_and_negative_controls(kg: KnowledgeGraph) -> None:
    rows = {r["marker_iri"]: r for r in run(kg, "ev-markers")}
    negative = {iri.rsplit("/", 1)[1]: r for iri, r in rows.items() if r["is_negative_control"] == "true"}
    # review [27]: Grp94 (HSP90B1) and calnexin (CANX) -> ER, GM130 -> Golgi, cytochrome C -> mitochondria,
    # histones -> nucleus, Argonaute -> RISC
    assert {m: r["compartment_label"] for m, r in negative.items()} == {
        "CANX": "endoplasmic reticulum",
        "HSP90B1": "endoplasmic reticulum",
        "GOLGA2": "Golgi apparatus",
        "CYCS": "mitochondrion",
        "histones": "nucleus",
        "AGO": "RISC complex",
    }
    assert negative["CANX"]["go_id"] == "GO:0005783" and negative["GOLGA2"]["go_id"] == "GO:0005794"
    assert negative["CYCS"]["go_id"] == "GO:0005739"
    assert negative["CANX"]["purity_class"] == "exoowl:EndoplasmicReticulumPurityMarker"
    assert negative["GOLGA2"]["purity_class"] == "exoowl:GolgiPurityMarker"
    assert negative["CYCS"]["purity_class"] == "exoowl:MitochondrialPurityMarker"
    assert split(negative["AGO"]["genes"]) == {"AGO1", "AGO2", "AGO3", "AGO4"}
    assert all(refs(r) == {27} and r["misev_category"].startswith("4") for r in negative.values())
    # CD9 [8] and CD63 [140] are positive (MISEV category 1) markers
    for marker, ref in (("CD9", 8), ("CD63", 140)):
        r = rows[f"exoid:marker/{marker}"]
        assert r["is_negative_control"] == "false" and r["misev_category"].startswith("1") and refs(r) == {ref}
    golgi = run(kg, "ev-markers", compartment="golgi")
    assert [r["marker_iri"] for r in golgi] == ["exoid:marker/GOLGA2"]
    assert {r["marker_iri"] for r in run(kg, "ev-markers", compartment="endoplasmic")} == {
        "exoid:marker/CANX",
        "exoid:marker/HSP90B1",
    }


def test_isolation_options_for_half_a_millilitre(kg: KnowledgeGraph) -> None:
    rows = {r["name"]: r for r in run(kg, "isolation-options", volume_ml="0.5")}
    # Table 1: "Up to 500 µL" (101Bio P100 [16], iZON qEV [17]), "Up to 36 mL" (QIAGEN exoEasy [18]);
    # the precipitation kits need 5-10 mL and UC 25-125 mL
    assert {n for n in rows if "qEV" in n} and {n for n in rows if "P100" in n} and {n for n in rows if "exoEasy" in n}
    assert not [n for n in rows if "ExoQuick" in n or "Invitrogen" in n or "ultracentrifugation" in n.lower()]
    qev = next(r for n, r in rows.items() if "qEV" in n)
    assert refs(qev) == {17} and float(qev["one_time_cost_usd"]) == 40
    assert (qev["min_purity_grade"], qev["max_purity_grade"]) == ("2", "3")
    assert qev["principle"] == "size-exclusion chromatography" and qev["kind"] == "kit"
    exoeasy = next(r for n, r in rows.items() if "exoEasy" in n)
    assert float(exoeasy["max_hours"]) == 0.5 and refs(exoeasy) == {18}  # "Approximately 30 min"
    assert "Selects for a specific subgroup" in exoeasy["disadvantages"]


def test_isolation_options_for_larger_volumes(kg: KnowledgeGraph) -> None:
    seven = {r["name"] for r in run(kg, "isolation-options", volume_ml="7")}
    assert any("ExoQuick" in n for n in seven) and any("Invitrogen" in n for n in seven)
    assert not any("qEV" in n or "P100" in n for n in seven)
    thirty = {r["name"]: r for r in run(kg, "isolation-options", volume_ml="30")}
    uc = thirty["ultracentrifugation (UC)"]
    assert uc["kind"] == "method" and uc["max_purity_grade"] == "3"
    assert (float(uc["min_hours"]), float(uc["max_hours"])) == (12, 24)  # "12-24 hours"
    assert "Reliable" in uc["advantages"] and "Instrument required" in uc["disadvantages"]
    assert any("exoEasy" in n for n in thirty)
    # without a volume, every isolation method and kit the review names (12 and 5), with or without Table 1 values
    every = run(kg, "isolation-options")
    methods = kg.query("""PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT DISTINCT ?m WHERE { ?m a/rdfs:subClassOf* exoowl:IsolationMethod ; exoowl:reportedIn ?review }
    """).records()
    listed = {r["iri"] for r in every if r["kind"] == "method"}
    assert listed == {r["m"] for r in methods} and len(listed) >= 12 and "exoid:method/ultrafiltration" in listed
    costs = {r["name"]: float(r["one_time_cost_usd"]) for r in every if r["one_time_cost_usd"]}
    # "Cost (one-time) $10 $20 $30 $40 $40"
    assert sorted(costs.values()) == [10, 20, 30, 40, 40]


def test_storage_recommendations(kg: KnowledgeGraph) -> None:
    rows = run(kg, "storage-recommendations")
    # 37 °C for 2 days: size -60 % [32, 33]; -80 °C for 2 days: unchanged [32, 33]; ExoQuick <= 18 h at -80 °C [3];
    # UF/UC exosomes degrade after 2 h at 37 °C [34]; -80 °C recommended by the review itself
    facts = {
        (float(r["temperature_celsius"]), float(r["duration_hours"]) if r["duration_hours"] else None): r for r in rows
    }
    assert float(facts[(37, 48)]["size_change_percent"]) == -60 and refs(facts[(37, 48)]) == {32, 33}
    assert float(facts[(-80, 48)]["size_change_percent"]) == 0 and refs(facts[(-80, 48)]) == {32, 33}
    assert refs(facts[(-80, 18)]) == {3} and "ExoQuick" in facts[(-80, 18)]["kit"]
    assert refs(facts[(37, 2)]) == {34}
    assert any("recommend" in r["statement"] and r["references"] == "review" for r in rows)
    assert any("phosphate-buffered saline" in r["storage_media"] for r in rows)
    hot = run(kg, "storage-recommendations", temperature="37")
    assert len(hot) == 2 and {float(r["temperature_celsius"]) for r in hot} == {37}


def test_cancer_biomarkers(kg: KnowledgeGraph) -> None:
    crc = {min(refs(r)): r for r in run(kg, "cancer-biomarkers", cancer="colorectal")}
    # serum exosomal miR-19a: recurrence [151]; plasma miR-21: diagnosis [152]; three fecal miRNAs [153]
    assert set(crc) == {151, 152, 153}
    assert crc[151]["markers"] == "hsa-miR-19a-3p" and crc[151]["specimen"] == "serum"
    assert "prognostic" in crc[151]["clinical_use"]
    assert crc[152]["markers"] == "hsa-miR-21-5p" and crc[152]["specimen"] == "plasma"
    assert "diagnostic" in crc[152]["clinical_use"]
    assert crc[153]["specimen"] == "feces"
    # a synonym (CRC) and the disease hierarchy (lung cancer: lung adenocarcinoma, LUSC) find them too
    assert {min(refs(r)) for r in run(kg, "cancer-biomarkers", cancer="CRC")} == {151, 152, 153}
    lung = {r["cancer_label"] for r in run(kg, "cancer-biomarkers", cancer="lung cancer")}
    assert {"lung adenocarcinoma", "lung squamous cell carcinoma"} <= lung
    # every biomarker finding, those tied to no cancer and the review's own statements included
    everything = {r["finding"] for r in run(kg, "cancer-biomarkers")}
    biomarker = kg.query("""PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
        SELECT ?f WHERE { ?f a exoowl:BiomarkerFinding }""").records()
    assert {r["f"] for r in biomarker} <= everything and len(biomarker) > 13
    assert all(r["vesicle"] in ("exosome", "extracellular vesicle (EV)", "") for r in run(kg, "cancer-biomarkers"))
    (crpc,) = run(kg, "cancer-biomarkers", cancer="prostate")
    assert split(crpc["markers"]) == {"hsa-miR-1290", "hsa-miR-375-3p"} and refs(crpc) == {150}
    assert "prognostic" in crpc["clinical_use"]
    (pdac,) = run(kg, "cancer-biomarkers", cancer="pancreatic")
    assert "GPC1" in pdac["markers"] and refs(pdac) == {146} and pdac["direction"] == "increased"
    (mel,) = run(kg, "cancer-biomarkers", cancer="melanoma")
    assert "CD63" in mel["markers"] and refs(mel) == {140}


def test_findings_on_problematic_cell_lines(kg: KnowledgeGraph) -> None:
    rows = run(kg, "problematic-cell-line-findings")
    lines = by(rows, "cell_line")
    # Cellosaurus: BGC-823 is HeLa, AZ-521 is Hutu 80, WiDr is HT-29, HepG2 is a hepatoblastoma
    assert set(lines) == {"BGC-823", "Hep-G2", "AZ-521", "WiDr"}
    assert {r["finding"] for r in lines["BGC-823"]} == {"exoid:finding/T2-91"}
    assert "HeLa" in lines["BGC-823"][0]["problem_note"] and lines["BGC-823"][0]["cellosaurus_id"] == "CVCL_3360"
    assert lines["BGC-823"][0]["role"] == "recipient" and refs(lines["BGC-823"][0]) == {91}
    assert {r["finding"] for r in lines["Hep-G2"]} == {f"exoid:finding/T2-{n}" for n in (90, 95, 96, 97)}
    assert "hepatoblastoma" in lines["Hep-G2"][0]["problem_note"]
    assert next(r for r in lines["Hep-G2"] if r["finding"].endswith("T2-97"))["role"] == "donor and recipient"
    assert "Hutu 80" in lines["AZ-521"][0]["problem_note"] and refs(lines["AZ-521"][0]) == {93}
    assert "HT-29" in lines["WiDr"][0]["problem_note"]
    assert all(r["cellosaurus_link"].startswith("https://www.cellosaurus.org/CVCL_") for r in rows)
    hepg2 = run(kg, "problematic-cell-line-findings", line="HepG2")  # the review's spelling
    assert {r["cell_line"] for r in hepg2} == {"Hep-G2"} and len(hepg2) == 4
    assert run(kg, "problematic-cell-line-findings", line="MDA-MB-231") == []


def test_gene_links(kg: KnowledgeGraph) -> None:
    (cd63,) = run(kg, "gene-links", gene="CD63")
    assert cd63["exocarta"] == "http://exocarta.org/gene_summary?gene_id=967"
    assert cd63["vesiclepedia"] == "http://microvesicles.org/gene_summary?gene_id=967"
    assert cd63["ncbi_gene"] == "https://www.ncbi.nlm.nih.gov/gene/967" and cd63["ncbi_gene_id"] == "967"
    assert cd63["uniprot_id"] == "P08962" and cd63["uniprot"].endswith("P08962")
    assert cd63["hgnc_id"] == "HGNC:1692" and cd63["hgnc"].startswith("https://www.genenames.org/")
    assert refs(cd63) == {140}
    assert run(kg, "gene-links", gene="cd63") == [cd63]  # case-insensitive
    (zo1,) = run(kg, "gene-links", gene="ZO-1")  # the review's name for TJP1 [48]
    assert zo1["symbol"] == "TJP1" and zo1["ncbi_gene_id"] == "7082" and refs(zo1) == {48}
    (canx,) = run(kg, "gene-links", gene="calnexin")
    assert canx["symbol"] == "CANX" and canx["exocarta"].endswith("gene_id=821")
    assert run(kg, "gene-links", gene="CD6") == []  # exact, not partial, match


def test_label_search_finds_names_and_synonyms_exact_first(kg: KnowledgeGraph) -> None:
    rows = run(kg, "label-search", text="cd63")
    assert {r["entity"] for r in rows} >= {"exoid:gene/967", "exoid:marker/CD63"}
    assert rows[0]["matched_name"].lower() == "cd63"  # exact names first
    assert all("cd63" in r["matched_name"].lower() for r in rows)
    calnexin = run(kg, "label-search", text="calnexin")  # a synonym of CANX
    assert any(r["entity"] == "exoid:gene/821" and r["label"] == "CANX" for r in calnexin)


def test_mirna_targets(kg: KnowledgeGraph) -> None:
    mir10b = run(kg, "mirna-targets", mirna="miR-10b")
    assert {r["target_gene"] for r in mir10b} == {"HOXD10", "KLF4"} and all(refs(r) == {43} for r in mir10b)
    # a whole word of the name: miR-21 finds miR-21's arm, not miR-210 (which Table 2 has too)
    assert {r["mirna_name"] for r in run(kg, "mirna-targets", mirna="miR-21")} == {"hsa-miR-21-5p"}
    assert "hsa-miR-210-3p" in {r["mirna_name"] for r in run(kg, "mirna-targets", mirna="miR-210")}
    assert run(kg, "mirna-targets", mirna="miR-2.") == []  # a regex character in the name is a character
    mir21 = run(kg, "mirna-targets", mirna="hsa-miR-21-5p")
    targets: dict[str, set[int]] = {}
    for r in mir21:
        assert r["mirna_name"] == "hsa-miR-21-5p"
        targets.setdefault(r["target_gene"], set()).update(refs(r))
    # Table 2: TPM1/PDCD4/Bcl-2 [78]; STAT3 [82]; TLR7/TLR8 [84]; PDCD4 [91]; TLR8 [105]; NAV3 [107]
    assert targets == {
        "TPM1": {78},
        "PDCD4": {78, 91},
        "BCL2": {78},
        "STAT3": {82},
        "TLR7": {84},
        "TLR8": {84, 105},
        "NAV3": {107},
    }
    # what kind of target each is: TLR7/TLR8 are receptors miR-21 acts on as a ligand [84, 105]; STAT3 is
    # activated [82]; TPM1 and NAV3 are repressed
    kinds = {(r["target_gene"], ref, r["target_kind"]) for r in mir21 for ref in refs(r)}
    assert {("TLR7", 84, "receptor (ligand)"), ("TLR8", 105, "receptor (ligand)")} <= kinds
    assert {("STAT3", 82, "reported"), ("TPM1", 78, "repressed"), ("NAV3", 107, "repressed")} <= kinds
    # the review prints "microRNA29c"; BCL-2 and MCL-1 [87]
    assert {r["target_gene"] for r in run(kg, "mirna-targets", mirna="microRNA29c")} == {"BCL2", "MCL1"}
    # a former miRBase name (hsa-miR-122a) finds miR-122: PKM2 and GLUT1 [71], IGF1R [96]
    mir122 = run(kg, "mirna-targets", mirna="hsa-miR-122a")
    assert {r["target_gene"] for r in mir122} == {"PKM", "SLC2A1", "IGF1R"}


def test_table2_findings_for_a_cancer(kg: KnowledgeGraph) -> None:
    table2 = tsv("transfer_findings.tsv")
    assert len(run(kg, "transfer-findings")) == len(table2)
    breast = {r["finding"]: r for r in run(kg, "transfer-findings", cancer="breast")}
    expected = {
        f"exoid:finding/T2-{row['finding_id']}"
        for row in table2
        if row["tumor_type"] == "breast-cancer" or "breast" in row["tumor_group_as_printed"].lower()
    }
    assert set(breast) == expected
    assert "exoid:finding/T2-77" in breast  # printed under "Breast cancer" although about glioma
    t75 = breast["exoid:finding/T2-75"]
    assert t75["donor_condition"] == "tamoxifen resistant" and t75["classification"] == "Drug resistance"
    assert split(t75["target_genes"]) == {"CDKN1B", "ESR1"} and refs(t75) == {75}  # "P27 and ERα"
    t48 = breast["exoid:finding/T2-48"]
    assert t48["donors"] == "MDA-MB-231" and t48["cargo"] == "hsa-miR-105-5p"
    assert t48["function"].startswith("Destroys tight junctions") and t48["classification"] == "Metastasis"
    haem = run(kg, "transfer-findings", cancer="hematological")
    assert {min(refs(r)) for r in haem} == {99, 100, 101, 102, 103, 104}


def test_findings_by_process(kg: KnowledgeGraph) -> None:
    metastasis = {r["finding"]: r for r in run(kg, "findings-by-process", process="metastasis")}
    table2 = tsv("transfer_findings.tsv")
    expected = {
        f"exoid:finding/T2-{row['finding_id']}"
        for row in table2
        if row["outcome"] in ("metastasis", "bone-metastasis", "pre-metastatic-niche-formation")
    }
    assert expected <= set(metastasis)
    assert metastasis["exoid:finding/T2-81"]["outcome"] == "bone metastasis"
    assert metastasis["exoid:finding/T2-84"]["outcome"] == "pre-metastatic niche formation"
    assert "exoid:finding/T2-82" not in metastasis  # angiogenesis
    assert any(r["finding_kind"] != "transfer finding" for r in metastasis.values())  # text findings too
    angio = {r["finding"]: r for r in run(kg, "findings-by-process", process="angiogenesis")}
    assert {"exoid:finding/T2-82", "exoid:finding/T2-83"} <= set(angio)
    assert any(53 in refs(r) for r in angio.values())  # CD105+ renal carcinoma microvesicles [53]
    dormancy = run(kg, "findings-by-process", process="dormancy")
    assert {min(refs(r)) for r in dormancy} == {72, 73}


def test_what_a_recipient_receives(kg: KnowledgeGraph) -> None:
    endo = run(kg, "recipient-cargo", recipient="endothelial")
    received = {(r["cargo_label"], min(refs(r))) for r in endo}
    # miR-105 [48], miR-192 [81], miR-126 [100], miR-92a (HUVEC) [102], miR-135b [104]; proteins [108]
    assert {
        ("hsa-miR-105-5p", 48),
        ("hsa-miR-192-5p", 81),
        ("hsa-miR-126-3p", 100),
        ("hsa-miR-92a-3p", 102),
        ("hsa-miR-135b-5p", 104),
    } <= received
    assert {c for c, ref in received if ref == 108} == {
        "ATF2 protein",
        "MTA1 protein",
        "ROCK1 protein",
        "ROCK2 protein",
    }
    assert all("endothelial" in r["recipient_label"] for r in endo)
    hepg2 = {r["cargo_label"]: r for r in run(kg, "recipient-cargo", recipient="HepG2")}
    assert hepg2["hsa-miR-122-5p"]["donors"] == "Huh-7" and refs(hepg2["hsa-miR-122-5p"]) == {96}
    msc = run(kg, "recipient-cargo", recipient="mesenchymal stem cell")
    assert any(r["cargo_type"] == "not specified" and refs(r) == {98} for r in msc)  # KMBC/HuCCT1, no cargo


def test_what_a_reference_supports(kg: KnowledgeGraph) -> None:
    rows = run(kg, "reference-support", reference="48")
    findings = [r for r in rows if r["is_finding"] == "true"]
    # Table 2 row [48] and the text's account of the same study (miR-105, ZO-1, vascular permeability)
    assert [r["record"] for r in findings] == ["exoid:finding/T2-48", "exoid:finding/text-zhou-mir105-barrier"]
    assert findings[0]["summary"].startswith("Destroys tight junctions")
    assert {r["first_author"] for r in rows} == {"Zhou"}  # "Zhou et al." [48]
    assert "exoid:gene/7082" in {r["record"] for r in rows}
    assert rows[0]["is_finding"] == "true"  # findings first
    r105 = {r["record"] for r in run(kg, "reference-support", reference="105") if r["is_finding"] == "true"}
    assert r105 == {"exoid:finding/T2-105a", "exoid:finding/T2-105b"}
    r27 = run(kg, "reference-support", reference="27")
    assert any(r["is_finding"] == "true" and "negative-control" in r["summary"] for r in r27)
    assert {f"exoid:marker/{m}" for m in ("CANX", "GOLGA2", "CYCS")} <= {r["record"] for r in r27}


def test_drug_resistance_transfers(kg: KnowledgeGraph) -> None:
    rows = {min(refs(r)): r for r in run(kg, "drug-resistance-transfers")}
    expected = {int(row["reference"]) for row in tsv("transfer_findings.tsv") if row["outcome"] == "drug-resistance"}
    assert set(rows) == expected == {74, 75, 85, 105, 107}
    assert rows[75]["donor_condition"] == "tamoxifen resistant" and rows[75]["donors"] == "MCF-7"
    assert split(rows[75]["cargo"]) == {"hsa-miR-221-3p", "hsa-miR-222-3p"}
    assert rows[85]["donor_condition"] == "docetaxel resistant" and rows[85]["target_genes"] == "BCL2"
    assert rows[107]["target_genes"] == "NAV3" and rows[107]["cancer_label"] == "ovarian cancer"
    assert [min(refs(r)) for r in run(kg, "drug-resistance-transfers", cancer="ovarian")] == [107]


def test_pro_metastatic_mirnas_are_the_reasoners(kg: KnowledgeGraph) -> None:
    rows = {r["mirna_iri"]: r for r in run(kg, "pro-metastatic-mirnas")}
    metastatic = ("metastasis", "bone-metastasis", "pre-metastatic-niche-formation")
    expected = {
        f"exoid:mirna/{m}"
        for row in tsv("transfer_findings.tsv")
        if row["outcome"] in metastatic
        for m in row["cargo_mirna"].split(";")
        if m
    }
    assert set(rows) == expected
    mir105 = rows["exoid:mirna/MIMAT0000102"]
    assert mir105["mirna"] == "hsa-miR-105-5p" and mir105["mirbase_accession"] == "MIMAT0000102"
    assert mir105["mirbase_link"] == "https://www.mirbase.org/mature/MIMAT0000102" and refs(mir105) == {48}
    assert rows["exoid:mirna/MIMAT0000254"]["mirbase_accession"] == "MIMAT0000254"
    assert refs(rows["exoid:mirna/MIMAT0000076"]) >= {84, 91, 94, 103}
    for not_metastatic in ("MIMAT0000447", "MIMAT0000418", "MIMAT0002811"):  # miR-134, -23b, -202-3p
        assert f"exoid:mirna/{not_metastatic}" not in rows
    # the answer comes from the inferred graph: without it there is no member
    assert kg.run("pro-metastatic-mirnas", asserted=True).rows == []


def test_finding_counts(kg: KnowledgeGraph) -> None:
    rows = {(r["cancer_label"], r["outcome_label"]): r for r in run(kg, "finding-counts", cancer="breast")}
    table2 = tsv("transfer_findings.tsv")
    breast_met = [row for row in table2 if row["tumor_type"] == "breast-cancer" and row["outcome"] == "metastasis"]
    r = rows[("breast cancer", "metastasis")]
    assert int(r["table2_findings"]) == len(breast_met) == 6  # 8 classed "Metastasis", 2 of them suppress it
    assert int(r["findings"]) > int(r["table2_findings"])  # EDIL3 [65] from the text
    assert {int(row["reference"]) for row in breast_met} <= refs(r)


def test_cell_lines(kg: KnowledgeGraph) -> None:
    rows = {r["cell_line"]: r for r in run(kg, "cell-lines")}
    assert rows["Hep-G2"]["problematic"] == "true" and rows["Hep-G2"]["cellosaurus_id"] == "CVCL_0027"
    assert rows["MDA-MB-231"]["problematic"] == "false" and rows["MDA-MB-231"]["origin"] == "breast cancer"
    assert rows["BGC-823"]["origin"] == "cervical adenocarcinoma"  # HeLa, not gastric
    problematic = {name for name, r in rows.items() if r["problematic"] == "true"}
    expected = {row["label"] for row in tsv("cell_lines.tsv") if row["is_problematic"] == "true"}
    assert problematic == expected
    assert {r["cell_line"] for r in run(kg, "cell-lines", line="MCF")} == {"MCF-7", "MCF-10A"}


def test_mirna_roles(kg: KnowledgeGraph) -> None:
    roles: dict[str, set[str]] = {}
    settings: dict[tuple[str, str], set[str]] = {}
    for r in run(kg, "mirna-roles"):
        roles.setdefault(r["mirna_name"], set()).add(r["role_class"])
        settings.setdefault((r["mirna_name"], r["role_class"]), set()).add(r["finding"])
    assert "exoowl:DormancyInducingMicroRNARole" in roles["hsa-miR-23b-3p"]  # [72]
    assert "exoowl:DrugResistanceMicroRNARole" in roles["hsa-miR-134-5p"]  # [74]
    assert "exoowl:BiomarkerCandidateMicroRNARole" in roles["hsa-miR-373-3p"]  # [149]
    assert "exoowl:AngiogenicMicroRNARole" in roles["hsa-miR-210-3p"]  # [83]
    assert "exoowl:ProMetastaticMicroRNARole" not in roles["hsa-miR-134-5p"]
    # miR-223: pro-metastatic where it promotes invasion [76], dormancy-inducing in bone marrow [73]
    mir223 = "hsa-miR-223-3p"
    assert "exoid:finding/T2-76" in settings[(mir223, "exoowl:ProMetastaticMicroRNARole")]
    assert "exoid:finding/T2-73" in settings[(mir223, "exoowl:DormancyInducingMicroRNARole")]
    assert "exoid:finding/T2-73" not in settings[(mir223, "exoowl:ProMetastaticMicroRNARole")]


def test_therapeutic_uses(kg: KnowledgeGraph) -> None:
    rows = run(kg, "therapeutic-uses")
    paclitaxel = next(r for r in rows if "paclitaxel" in r["statement"])
    assert refs(paclitaxel) == {166} and "drug delivery" in paclitaxel["clinical_use"]
    mage = next(r for r in rows if "MAGE" in r["statement"])
    assert refs(mage) == {117} and "melanoma" in mage["cancers"]
    drug = run(kg, "therapeutic-uses", use="drug")
    assert drug and all("drug" in r["clinical_use"] for r in drug)


# ---- the named queries about imported experiments, on tests/fixtures/imports ------------------


def test_experiments_by_rigour_rank_the_test_experiments_by_what_their_records_show(kg: KnowledgeGraph) -> None:
    rows = run(kg, "experiments-by-rigour")
    scores = {row["experiment_id"]: int(row["score"]) for row in rows}
    # 9001: density gradient 2 + protein and imaging 2 + CD63 and TSG101 2 + no negative control in 24 proteins 1
    # 9003: differential centrifugation 1 + mass spectrometry 1 + CD63 1 + CANX found 0; 9002: ExoQuick 0 + WB 1
    assert scores == {"9001": 7, "9003": 3, "9002": 1}
    assert [row["experiment_id"] for row in rows] == ["9001", "9003", "9002"]  # best first
    assert {row["experiment_id"] for row in run(kg, "experiments-by-rigour", min_score="3")} == {"9001", "9003"}
    reported = run(kg, "experiments-by-rigour", vesicle_type="exoowl:SmallEVReportedAsExosome")
    assert [row["experiment_id"] for row in reported] == ["9002"]  # 9001's density gradient supports 'exosome'
    assert "CANX" in next(row for row in rows if row["experiment_id"] == "9003")["negative_controls"]
    # ranks follow the scores; a page starts at a rank, so the last row's rank + 1 opens the next one
    assert [int(row["rank"]) for row in rows] == sorted(int(row["rank"]) for row in rows)
    second = int(rows[1]["rank"])
    assert [row["experiment_id"] for row in run(kg, "experiments-by-rigour", from_rank=str(second))] == ["9003", "9002"]
    assert run(kg, "experiments-by-rigour", from_rank=str(int(rows[-1]["rank"]) + 1)) == []


def test_experiments_by_rigour_pages_hold_a_hundred_experiments(project: Settings, tmp_path: Path) -> None:
    """The page size is the query's, not the data's: 130 experiments make a page of 100 and one of 30."""
    settings = copy_of(project, tmp_path)
    details = tmp_path / "experiments.txt"
    header, first_row = (IMPORTS / "test_experiment_details.txt").read_text(encoding="utf-8").splitlines()[:2]
    rows = [first_row.replace("9001\t", f"{8000 + n}\t", 1) for n in range(130)]
    details.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    import_file(StoreLocation(settings.store_path), "vesiclepedia", details)
    with Store.open(settings.store_path) as store:
        kg = KnowledgeGraph(settings, store)
        first = run(kg, "experiments-by-rigour")
        ids = [row["experiment_id"] for row in first]
        assert len(ids) == len(set(ids)) == 100  # one vesicle each
        assert ids == [str(8000 + n) for n in range(100)]  # equal scores: by record ID
        rest = run(kg, "experiments-by-rigour", from_rank=str(int(first[-1]["rank"]) + 1))
        assert [row["experiment_id"] for row in rest] == [str(8000 + n) for n in range(100, 130)]


def test_markers_by_vesicle_type_count_experiments_with_ev_proteins_and_negative_controls(kg: KnowledgeGraph) -> None:
    rows = by(run(kg, "markers-by-vesicle-type"), "vesicle_class")
    [exosomes], [microvesicles] = rows["exosome"], rows["microvesicle"]
    assert (exosomes["experiments"], exosomes["with_protein_cargo"], exosomes["with_membrane_and_luminal_protein"]) == (
        "2",
        "1",
        "1",
    )
    assert (microvesicles["with_negative_control_found"], microvesicles["negative_controls_found"]) == ("1", "CANX")
    assert run(kg, "markers-by-vesicle-type", database="ExoCarta") == []


def test_review_beside_databases_joins_a_curated_gene_to_its_imported_records(kg: KnowledgeGraph) -> None:
    [cd63] = run(kg, "review-beside-databases", molecule="cd63")
    assert int(cd63["review_findings"]) >= 1 and refs(cd63)
    assert (cd63["database_records"], cd63["experiments"], cd63["databases"]) == ("2", "2", "Vesiclepedia")
    assert run(kg, "review-beside-databases", molecule="CD6") == []  # whole names only
    # a gene only the import knows is found by its name's key too, in any case
    [imported] = run(kg, "review-beside-databases", molecule="testgene3")
    found = (imported["molecule_name"], imported["review_findings"], imported["database_records"])
    assert found == ("TESTGENE3", "0", "1")


# ---- cell populations and their members' cell types ---------------------------------------------

IMMUNE_MEMBERS = """PREFIX obo: <http://purl.obolibrary.org/obo/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?population WHERE {
  ?population obo:RO_0002351 ?member . ?member a ?type . ?type rdfs:subClassOf* obo:CL_0000738 }"""
TYPED_AS = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
SELECT DISTINCT ?population WHERE { ?population a ?class .
  FILTER(?class IN (exoowl:{cls})) }"""
POPULATION_AS_CELL = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
SELECT DISTINCT ?population WHERE {
  ?population a exoowl:CellPopulation ; a ?cell . ?cell rdfs:subClassOf* obo:CL_0000000 }"""


def iris(kg: KnowledgeGraph, sparql: str) -> set[str]:
    return {str(row[0]) for row in kg.query(sparql).rows}


def test_every_population_with_immune_members_is_an_immune_cell_population(kg: KnowledgeGraph) -> None:
    """Populations have members of a CL type (RO 'has member'); they are not cells themselves."""
    immune = iris(kg, IMMUNE_MEMBERS)
    # T, CD4, CD8 and regulatory T cells, NK cells, monocytes, MDSCs, DCs, mast cells, macrophages...
    assert len(immune) >= 12
    assert iris(kg, TYPED_AS.replace("{cls}", "ImmuneCellPopulation")) >= immune
    assert "<https://w3id.org/exoowl/id/cell-type/dendritic-cell>" in iris(
        kg, TYPED_AS.replace("{cls}", "DendriticCellPopulation")
    )
    assert "<https://w3id.org/exoowl/id/cell-type/endothelial-cell>" in iris(
        kg, TYPED_AS.replace("{cls}", "EndothelialCellPopulation")
    )
    assert iris(kg, POPULATION_AS_CELL) == set()


def test_argonaute_and_nucleophosmin_carry_mirnas_outside_vesicles(kg: KnowledgeGraph) -> None:
    """The review [157, 158]: AGO2 and nucleophosmin 1 bind circulating miRNAs in ribonucleoprotein complexes,
    not in vesicles; they are parts of non-vesicular carriers, never a finding's EV cargo."""
    query = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
    PREFIX obo: <http://purl.obolibrary.org/obo/>
    SELECT ?finding ?carrier ?protein ?kind WHERE {
      ?finding exoowl:hasNonVesicularCarrier ?carrier . ?carrier a ?kind .
      OPTIONAL { ?carrier obo:BFO_0000051 ?protein }
    }"""
    rows = kg.query(query, asserted=True).records()
    parts = {(r["finding"], r["protein"]) for r in rows}
    assert ("exoid:finding/text-circ-mirna-ago2", "exoid:protein/Q9UKV8") in parts
    assert ("exoid:finding/text-circ-mirna-forms", "exoid:protein/P06748") in parts
    complexes = {r["carrier"] for r in rows if r["kind"] == "exoowl:ExtracellularRibonucleoproteinComplex"}
    assert {r["carrier"] for r in rows if r["protein"]} == complexes and len(complexes) == 2
    assert "obo:GO_1990777" in {r["kind"] for r in rows}  # HDL [157]
    cargo = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
    ASK { VALUES ?p { <https://w3id.org/exoowl/id/protein/Q9UKV8> <https://w3id.org/exoowl/id/protein/P06748> }
          ?finding exoowl:hasCargo ?p }"""
    assert kg.query(cargo).boolean is False


def test_storage_media_are_not_specimens(kg: KnowledgeGraph) -> None:
    """PBS and the culture medium exosomes are kept in [32, 33] are storage media; nothing, asserted or
    inferred, is both a storage medium and a specimen."""
    query = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
    SELECT ?medium ?kind WHERE {
      <https://w3id.org/exoowl/id/finding/storage-long-term-minus80> exoowl:hasStorageMedium ?medium .
      ?medium a ?kind }"""
    kinds = {(r["medium"], r["kind"]) for r in kg.query(query).records()}
    assert ("exoid:storage-medium/phosphate-buffered-saline", "exoowl:PhosphateBufferedSaline") in kinds
    assert not any(kind == "exoowl:Specimen" for _, kind in kinds)
    both = """PREFIX exoowl: <https://w3id.org/exoowl/ontology/>
    ASK { ?x a exoowl:StorageMedium , exoowl:Specimen }"""
    assert kg.query(both).boolean is False
