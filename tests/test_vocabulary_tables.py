"""The curated mapping tables of data/mappings/vocabulary: they load, their exoowl targets are classes
of the edit file under the same label, a reused term has one label across tables, and they map at
least 95 % of the row values of each column of the sampled Vesiclepedia downloads."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from exoowl.namespaces import EXOOWL
from exoowl.ontology import edit_graph
from exoowl.vocabulary import load, load_all

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "data" / "mappings" / "vocabulary"
SAMPLES = ROOT.parent / "shared" / "reference" / "vesiclepedia-sample"
EXPECTED = {
    "vesicle-types",
    "isolation-methods",
    "identification-methods",
    "identifications",
    "sample-sources",
    "species",
}


def coverage_module() -> ModuleType:
    """bench/vocabulary_coverage.py (bench is no package), registered so its dataclasses resolve."""
    if "vocabulary_coverage" not in sys.modules:
        spec = importlib.util.spec_from_file_location("vocabulary_coverage", ROOT / "bench" / "vocabulary_coverage.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["vocabulary_coverage"] = module
        spec.loader.exec_module(module)
    return sys.modules["vocabulary_coverage"]


@pytest.fixture(scope="module")
def edit() -> Graph:
    return edit_graph(ROOT / "ontology" / "exoowl-edit.ttl")


def test_every_table_loads_with_its_version() -> None:
    tables = load_all(TABLES)
    assert set(tables) >= EXPECTED
    for name, table in tables.items():
        header = (TABLES / f"{name}.sssom.tsv").read_text(encoding="utf-8")
        (stated,) = re.findall(r"^# mapping_set_version: (\d{4}-\d{2}-\d{2})$", header, re.M)
        assert table.version == stated, name
        assert any(terms for terms in table.terms.values()), name


@pytest.mark.parametrize("path", sorted(TABLES.glob("*.sssom.tsv")), ids=lambda p: p.name)
def test_exoowl_targets_are_classes_of_the_ontology_with_its_label(edit: Graph, path: Path) -> None:
    problems = []
    for terms in load(path).terms.values():
        for term in terms:
            if term.iri.startswith("https://w3id.org/exoowl/") and not term.iri.startswith(str(EXOOWL)):
                problems.append(f"{term.curie} expands to {term.iri}, outside the ontology's namespace")
            if not term.iri.startswith(str(EXOOWL)):
                continue
            iri = URIRef(term.iri)
            labels = {str(label) for label in edit.objects(iri, RDFS.label)}
            if (iri, RDF.type, OWL.Class) not in edit:
                problems.append(f"{term.curie} is not a class of the edit file or its modules")
            elif labels != {term.label}:
                problems.append(f"{term.curie}: object_label {term.label!r}, ontology {sorted(labels)}")
    assert problems == []


def test_reused_terms_have_one_label_and_keep_the_ontology_label(edit: Graph) -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for table in load_all(TABLES).values():
        for terms in table.terms.values():
            for term in terms:
                labels[term.iri].add(term.label)
    assert {iri: names for iri, names in labels.items() if len(names) > 1} == {}
    # reused terms the ontology also declares (NCBITaxon 9606, …) carry its label
    for iri, names in labels.items():
        declared = {str(label) for label in edit.objects(URIRef(iri), RDFS.label)}
        if declared and not iri.startswith(str(EXOOWL)):
            assert names == declared, iri


def test_species_are_ncbitaxon_classes() -> None:
    for terms in load(TABLES / "species.sssom.tsv").terms.values():
        for term in terms:
            assert term.iri.startswith("http://purl.obolibrary.org/obo/NCBITaxon_"), term
            assert term.iri.rsplit("_", 1)[1].isdigit(), term


def test_the_sampled_downloads_are_mapped_at_95_percent_per_column() -> None:
    if not SAMPLES.is_dir():
        pytest.skip(f"{SAMPLES} is absent")
    files = sorted(SAMPLES.glob("*.txt"))
    result = coverage_module().coverage(files)
    # every column the tables cover appears in the samples that have it
    assert any(name.endswith("VESICLE TYPE") for name in result)
    assert any(name.endswith("METHODS") for name in result)
    low = {name: round(c.share, 4) for name, c in result.items() if c.values and c.share < 0.95}
    assert low == {}, {n: (c.no_term, c.unknown) for n, c in result.items() if n in low}


def test_coverage_counts_unmapped_and_missing_values(tmp_path: Path) -> None:
    download = tmp_path / "Vesiclepedia_experiment_details.txt"
    download.write_text(
        "EXPERIMENT ID\tSPECIES\tVESICLE TYPE\tISOLATION METHOD \r\n"
        "1\tHomo sapiens \tExosomes/Microvesicles\tUltracentrifugation|-\r\n"
        "2\tNo such species\tExomeres\t\n",
        encoding="utf-8",
    )
    result = coverage_module().coverage([download])
    assert result["experiment VESICLE TYPE"].mapped == 2
    assert result["experiment VESICLE TYPE"].no_term == {"Exomeres": 1}
    assert result["experiment SPECIES"].unknown == {"No such species": 1}
    isolation = result["experiment ISOLATION METHOD"]
    assert (isolation.mapped, isolation.missing, isolation.values) == (1, 2, 1)
