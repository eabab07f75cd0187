"""Turtle-level content checks of the ontology edit file (ontology/exoowl-edit.ttl).

These tests only need rdflib: they parse the edit file and check the contract of docs/model.md
(names, defined classes, annotations, property kinds). Reasoner and OWL-profile checks run on the
release elsewhere.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS

from exoowl.ontology import edit_files, edit_graph

ROOT = Path(__file__).resolve().parents[1]
EDIT = ROOT / "ontology" / "exoowl-edit.ttl"
MODEL = ROOT / "docs" / "model.md"

EX = "https://w3id.org/exoowl/ontology/"
OBO = "http://purl.obolibrary.org/obo/"
ONTOLOGY_IRI = rdflib.URIRef("https://w3id.org/exoowl/exoowl.owl")
DEFINITION = rdflib.URIRef(OBO + "IAO_0000115")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")

DEFINED_CLASSES = [
    "PurityMarker",
    "EndoplasmicReticulumPurityMarker",
    "GolgiPurityMarker",
    "MitochondrialPurityMarker",
    "NuclearPurityMarker",
    "RISCPurityMarker",
    "TumorDerivedExosome",
    "DendriticCellDerivedExosome",
    "ProMetastaticExosomalMiRNA",
    "MisidentifiedOrContaminatedCellLine",
    "FindingOnProblematicCellLine",
]

# Names fixed by docs/model.md (kept here as well, so the test still guards them if the doc moves).
CORE_CLASSES = [
    "ExtracellularVesicle",
    "Exosome",
    "Microvesicle",
    "ApoptoticBody",
    "SmallEV",
    "LargeEV",
    "TumorDerivedExosome",
    "DendriticCellDerivedExosome",
    "CellPopulation",
    "CellLine",
    "CancerCellLine",
    "MalignantCellPopulation",
    "MisidentifiedOrContaminatedCellLine",
    "CellTypePopulation",
    "MolecularEntity",
    "Gene",
    "MRNA",
    "MicroRNA",
    "CircularRNA",
    "RetrotransposonRNA",
    "SingleStrandedDNA",
    "MitochondrialDNA",
    "Lipid",
    "ProMetastaticExosomalMiRNA",
    "EVMarker",
    "TransmembraneOrGPIAnchoredMarker",
    "CytosolicMarker",
    "PurityMarker",
    "BiologicalProcessOrOutcome",
    "Metastasis",
    "BoneMetastasis",
    "PreMetastaticNicheFormation",
    "Dormancy",
    "DrugResistance",
    "ImmuneSuppression",
    "TumorInhibition",
    "Cancer",
    "IsolationMethod",
    "Ultracentrifugation",
    "DensityGradientUltracentrifugation",
    "SizeExclusionChromatography",
    "PolymerPrecipitation",
    "MembraneAffinityFiltration",
    "Ultrafiltration",
    "ImmunoaffinityCapture",
    "IsolationKit",
    "CharacterizationMethod",
    "TEM",
    "NTA",
    "TRPS",
    "FlowCytometry",
    "ELISA",
    "WesternBlot",
    "MassSpectrometry",
    "Microfluidics",
    "CellCultureMedium",
    "StorageCondition",
    "StorageFinding",
    "ClinicalUse",
    "DiagnosticBiomarkerUse",
    "PrognosticBiomarkerUse",
    "DrugDeliveryUse",
    "VaccineOrImmunotherapyUse",
    "Publication",
    "ReviewArticle",
    "CitedReference",
    "Finding",
    "TransferFinding",
    "IsolationFinding",
    "BiomarkerFinding",
    "MarkerFinding",
    "ImmuneFinding",
    "TherapyFinding",
    "CargoFinding",
    "FindingOnProblematicCellLine",
    "EVDatabase",
]


@pytest.fixture(scope="module")
def g() -> rdflib.Graph:
    return edit_graph(EDIT)


def _ours(node) -> bool:
    return isinstance(node, rdflib.URIRef) and str(node).startswith(EX)


def _named(graph, rdf_type):
    return {s for s in graph.subjects(RDF.type, rdf_type) if isinstance(s, rdflib.URIRef)}


def _model_section(title: str) -> str:
    text = MODEL.read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"section {title!r} not found in docs/model.md"
    return m.group(1)


def _first_column_names(section: str) -> set[str]:
    """Backticked plain names (no prefix, no spaces) in the first column of a markdown table."""
    names = set()
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("| ---"):
            continue
        first = line.split("|")[1]
        for tok in re.findall(r"`([^`]+)`", first):
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", tok):
                names.add(tok)
    return names


def test_header(g):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in g
    assert str(g.value(ONTOLOGY_IRI, OWL.versionInfo)) == "2026-12-04"
    for p in (DCT.title, DCT.description, DCT.creator, DCT.created):
        assert g.value(ONTOLOGY_IRI, p) is not None, p
    assert g.value(ONTOLOGY_IRI, DCT.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert str(g.value(ONTOLOGY_IRI, DCT.creator)) == "exoowl contributors"
    assert not list(g.objects(ONTOLOGY_IRI, OWL.imports)), "the release must open offline: no owl:imports"
    assert not list(g.objects(ONTOLOGY_IRI, OWL.versionIRI)), "the build derives owl:versionIRI"


def test_no_exo_prefix():
    text = "".join(path.read_text(encoding="utf-8") for path in edit_files(EDIT))
    assert not re.search(r"@prefix\s+exo:", text)
    assert not re.search(r"(?<![\w])exo:[A-Za-z]", text)


def test_class_count(g):
    classes = {c for c in _named(g, OWL.Class) if str(c).startswith((EX, OBO))}
    assert len(classes) >= 150, len(classes)
    assert len([c for c in classes if _ours(c)]) >= 150


def test_our_entities_have_one_label_and_a_definition(g):
    problems = []
    for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for s in filter(_ours, _named(g, t)):
            labels = list(g.objects(s, RDFS.label))
            if len(labels) != 1:
                problems.append(f"{s}: {len(labels)} labels")
            if not list(g.objects(s, DEFINITION)):
                problems.append(f"{s}: no IAO_0000115 definition")
    assert not problems, problems


def test_declared_external_terms_have_labels(g):
    for t in (OWL.Class, OWL.ObjectProperty, OWL.AnnotationProperty):
        for s in _named(g, t):
            if str(s).startswith(OBO):
                assert g.value(s, RDFS.label) is not None, s


def test_no_duplicate_labels(g):
    counts = Counter(str(o).lower() for s, o in g.subject_objects(RDFS.label) if isinstance(s, rdflib.URIRef))
    assert [lab for lab, n in counts.items() if n > 1] == []


def test_every_used_term_is_declared(g):
    declared = set()
    for t in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.NamedIndividual):
        declared |= _named(g, t)
    used = {x for triple in g for x in triple if isinstance(x, rdflib.URIRef) and str(x).startswith((EX, OBO))}
    sources = set(g.objects(None, RDFS.isDefinedBy))  # the ontologies reused terms come from, not terms
    assert sorted(map(str, used - declared - sources)) == []


def test_core_classes_exist(g):
    classes = _named(g, OWL.Class)
    names = set(CORE_CLASSES)
    if MODEL.exists():
        names |= _first_column_names(_model_section("Core classes (all `exoowl:` unless prefixed)"))
    missing = sorted(n for n in names if rdflib.URIRef(EX + n) not in classes)
    assert missing == []


def test_core_properties_exist(g):
    ops, dps = _named(g, OWL.ObjectProperty), _named(g, OWL.DatatypeProperty)
    assert rdflib.URIRef(OBO + "RO_0003001") in ops
    if not MODEL.exists():
        pytest.skip("docs/model.md not present")
    section = _model_section("Core properties")
    obj_part, _, data_part = section.partition("Datatype properties:")
    data_part = data_part.split("Annotation properties")[0]
    missing = [n for n in _first_column_names(obj_part) if rdflib.URIRef(EX + n) not in ops]
    missing += [n for n in re.findall(r"`([A-Za-z][A-Za-z0-9]*)`", data_part) if rdflib.URIRef(EX + n) not in dps]
    assert sorted(missing) == []


def test_defined_classes_have_equivalent_class(g):
    for name in DEFINED_CLASSES:
        assert g.value(rdflib.URIRef(EX + name), OWL.equivalentClass) is not None, name


def test_property_kinds_are_disjoint(g):
    ops, dps, aps = (_named(g, OWL.ObjectProperty), _named(g, OWL.DatatypeProperty), _named(g, OWL.AnnotationProperty))
    assert not (ops & dps) and not (ops & aps) and not (dps & aps)


def test_property_axioms(g):
    ex = rdflib.Namespace(EX)
    assert (ex.isCargoIn, OWL.inverseOf, ex.hasCargo) in g
    assert (ex.hasDonor, RDFS.subPropertyOf, ex.involvesCellPopulation) in g
    assert (ex.hasRecipient, RDFS.subPropertyOf, ex.involvesCellPopulation) in g
    # provenance properties must not force curated entity records into Finding
    for p in (ex.hasSource, ex.reportedIn):
        assert g.value(p, RDFS.domain) is None
    for p in _named(g, OWL.DatatypeProperty) | _named(g, OWL.ObjectProperty):
        if _ours(p) and (p, OWL.deprecated, rdflib.Literal(True)) not in g:  # an obsolete one keeps no axioms (OBO)
            assert g.value(p, RDFS.range) is not None, p


def test_no_equivalence_between_external_classes(g):
    for s, o in g.subject_objects(OWL.equivalentClass):
        assert not (isinstance(s, rdflib.URIRef) and isinstance(o, rdflib.URIRef) and not _ours(s) and not _ours(o)), (
            s,
            o,
        )


def test_cancers_carry_doid_xrefs(g):
    xref = rdflib.URIRef("http://www.geneontology.org/formats/oboInOwl#hasDbXref")
    mondo = [c for c in _named(g, OWL.Class) if str(c).startswith(OBO + "MONDO_")]
    assert len(mondo) >= 30
    for c in mondo:
        assert any(str(x).startswith("DOID:") for x in g.objects(c, xref)), c


MODULES = sorted((ROOT / "ontology" / "modules").glob("*.ttl"))


def test_the_edit_source_is_in_modules() -> None:
    names = {m.stem for m in MODULES}
    assert names >= {"vesicles", "cells", "molecules", "processes", "methods", "findings", "imports"}
    declared: Counter[rdflib.term.Node] = Counter()
    for path in edit_files(EDIT):
        declared.update(set(rdflib.Graph().parse(path, format="turtle").subjects(RDF.type, OWL.Class)))
    assert [c for c, n in declared.items() if n > 1] == [], "a class is declared in one module only"


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.stem)
def test_a_module_opens_alone_in_the_owl_api(module: Path) -> None:
    """Protégé's OWL API loads the module by itself; what it misses are only the declarations of terms
    that another module (or the edit file) makes."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "owlapi.py"), str(module)], capture_output=True, text=True, timeout=300
    )
    lines = result.stdout.strip().splitlines()
    assert lines and lines[-1].endswith("OWL 2 DL profile violation(s)"), result.stdout[-2000:] + result.stderr[-2000:]
    assert all(line.startswith("Use of undeclared ") for line in lines[:-1]), lines[:5]
