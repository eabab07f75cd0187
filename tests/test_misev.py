"""MISEV rigour of imported experiments (exoowl.misev): each criterion from what the records say, the
assessment written into its graph by an import (details and cargo from different files read together),
and the 'small EV reported as exosome' classification drawn by HermiT from the ontology's definition."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from exoowl.config import Settings
from exoowl.importers import MAPPINGS, import_file
from exoowl.misev import (
    GRAPH_MISEV,
    MIN_PROTEINS,
    Evidence,
    assess,
    characterisation,
    ev_proteins,
    isolation,
    load_markers,
    negative_controls,
)
from exoowl.ontology import release_graph
from exoowl.reason import hermit_graphs
from exoowl.store import Store, StoreLocation

MARKERS = load_markers(MAPPINGS / "misev_markers.tsv")
GENE = "https://w3id.org/exoowl/id/gene/"
SUMMARY = "https://w3id.org/exoowl/id/misev-summary/https%3A%2F%2Fw3id.org%2Fexoowl%2Fid%2Fdatabase%2Fvesiclepedia/"
ONT = "https://w3id.org/exoowl/ontology/"


def marker(symbol: str) -> str:
    return GENE + next(m.entrez for m in MARKERS if m.symbol == symbol)


def evidence(isolation: dict[str, set[str]] | None = None, **fields: object) -> Evidence:
    found = Evidence(**fields)  # type: ignore[arg-type]
    for label, classes in (isolation or {}).items():
        found.isolation[label] = classes
    return found


@pytest.mark.parametrize(
    ("methods", "grade", "points"),
    [
        ({}, "SpecificityNotReported", 0),
        ({"ExoQuick": {"PolymerPrecipitation", "IsolationMethod"}}, "LowSpecificity", 0),
        ({"UC": {"Ultracentrifugation", "Centrifugation"}}, "IntermediateSpecificity", 1),
        ({"qEV": {"SizeExclusionChromatography"}}, "IntermediateSpecificity", 1),
        ({"qEV": {"SizeExclusionChromatography"}, "UF": {"Ultrafiltration", "Filtration"}}, "HighSpecificity", 2),
        ({"UC": {"Ultracentrifugation"}, "OptiPrep": {"DensityGradientUltracentrifugation"}}, "HighSpecificity", 2),
        ({"beads": {"ImmunoaffinityCapture"}}, "HighSpecificity", 2),
    ],
)
def test_isolation_specificity(methods: dict[str, set[str]], grade: str, points: int) -> None:
    found, result = isolation(evidence(methods))
    assert (found, result.score, result.criterion) == (grade, points, "IsolationSpecificityCriterion")
    assert all(name in result.explanation for name in methods)


def test_characterisation_counts_each_kind_once() -> None:
    found = Evidence()
    found.characterisation["Western blotting"] = {"WesternBlot", "CharacterizationMethod"}
    found.characterisation["Mass spectrometry [LTQ]"] = {"MassSpectrometry"}
    assert characterisation(found).score == 1
    found.characterisation["Immunoelectron microscopy"] = {"ImmunogoldElectronMicroscopy", "SingleVesicleImagingMethod"}
    found.characterisation["NTA"] = {"NTA", "ParticleSizeAndConcentrationMeasurement"}
    result = characterisation(found)
    assert result.score == 3 and "Immunoelectron microscopy" in result.explanation


def test_ev_proteins_need_a_membrane_and_a_luminal_protein_by_gene_or_symbol() -> None:
    assert not ev_proteins(Evidence(), MARKERS).assessed
    found = Evidence(proteins={marker("CD63"): "CD63", GENE + "1": "OTHER"})
    result = ev_proteins(found, MARKERS)
    assert (result.score, result.genes) == (1, (marker("CD63"),))
    found.proteins[GENE + "999"] = "Tsg101"  # a mouse gene, matched by symbol
    result = ev_proteins(found, MARKERS)
    assert result.score == 2 and "TSG101" in result.explanation


def test_negative_controls_count_only_in_a_long_enough_protein_list() -> None:
    few = Evidence(proteins={GENE + str(n): f"P{n}" for n in range(MIN_PROTEINS - 1)})
    assert not negative_controls(few, MARKERS).assessed
    clean = Evidence(proteins={GENE + str(n): f"P{n}" for n in range(MIN_PROTEINS)})
    assert negative_controls(clean, MARKERS).score == 1
    dirty = Evidence(proteins={**clean.proteins, marker("CANX"): "CANX"})
    result = negative_controls(dirty, MARKERS)
    assert result.score == 0 and result.genes == (marker("CANX"),) and "CANX (category 4)" in result.explanation


EXPERIMENTS = (
    "EXPERIMENT ID\tPUBMED ID\tSPECIES\tEXPERIMENT DESCRIPTION\tSAMPLE\tSAMPLE SOURCE\tSAMPLE NAME\t"
    "IDENTIFICATIONS\tMETHODS\tYEAR\tISOLATION METHOD\tVESICLE TYPE\n"
    "1\t1\tHomo sapiens\tt\tPlasma\tts\tp\tProtein\tWestern blotting\t2010\tExoQuick\tExosomes\n"
    "2\t2\tHomo sapiens\tt\tPlasma\tts\tp\tProtein\tWestern blotting|Immunoelectron microscopy|Mass "
    "spectrometry [Orbitrap]\t2012\tDifferential centrifugation|Sucrose density gradient\tExosomes\n"
)


SCORES = """SELECT ?e ?s ?g WHERE {
    ?e exoowl:hasRigourAssessment ?a . ?a exoowl:rigourScore ?s ; exoowl:isolationSpecificity ?g }"""


def values(settings: Settings, query: str) -> list[tuple[str, ...]]:
    with Store.open(settings.store_path) as store:
        rows = store.query("PREFIX exoowl: <https://w3id.org/exoowl/ontology/> " + query)
        return sorted(tuple(term.value for term in row) for row in rows)


def test_an_import_assesses_every_experiment_with_its_cargo_from_another_file(kg: Settings, tmp_path: Path) -> None:
    details = tmp_path / "experiments.txt"
    details.write_text(EXPERIMENTS, encoding="utf-8")
    location = StoreLocation(kg.store_path)
    import_file(location, "vesiclepedia", details)
    scores = values(
        kg,
        SCORES,
    )
    experiment = "https://w3id.org/exoowl/id/vesiclepedia/experiment/"
    assert scores == [
        (experiment + "1", "1", ONT + "LowSpecificity"),  # precipitation; Western blot
        (experiment + "2", "4", ONT + "HighSpecificity"),  # density gradient; protein methods and imaging
    ]
    reported = values(kg, "SELECT ?v WHERE { ?v a exoowl:SmallEVReportedAsExosome }")
    assert [v for v in reported if v[0].startswith(experiment)] == [(experiment + "1/vesicle/exosomes",)]
    cargo = tmp_path / "cargo.txt"
    rows = [f"{n}\tprotein\t{7000 + n}\tP{n}\tHomo sapiens\t2\tMass spectrometry\n" for n in range(1, MIN_PROTEINS + 1)]
    rows += [f"100\tprotein\t{marker('CD63').rsplit('/', 1)[-1]}\tCD63\tHomo sapiens\t2\tMass spectrometry\n"]
    cargo.write_text(
        "CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n" + "".join(rows)
    )
    report = import_file(location, "vesiclepedia", cargo)
    after = dict(
        (e, s)
        for e, s, _ in values(
            kg,
            SCORES,
        )
    )
    assert after[experiment + "2"] == "6"  # + CD63 (membrane protein), + no negative control among 21 proteins
    assert location.manifest()["graphs"][GRAPH_MISEV] == report.misev_triples > 0
    explanations = values(kg, f"SELECT ?x WHERE {{ <{experiment}2/misev/EVProteinCriterion> exoowl:explanation ?x }}")
    assert "CD63" in explanations[0][0]


def misev_graph(store: Store) -> set[ox.Quad]:
    return set(store.db.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH_MISEV)))


def test_an_import_reassesses_only_its_experiments_and_leaves_the_graph_a_whole_assessment_would(
    kg: Settings, tmp_path: Path
) -> None:
    details, cargo = tmp_path / "experiments.txt", tmp_path / "cargo.txt"
    details.write_text(EXPERIMENTS, encoding="utf-8")
    cargo.write_text(
        "CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n"
        + "".join(
            f"{n}\tprotein\t{7000 + n}\tP{n}\tHomo sapiens\t{n % 3 + 1}\tMass spectrometry\n" for n in range(1, 31)
        ),
        encoding="utf-8",
    )
    location = StoreLocation(kg.store_path)
    import_file(location, "vesiclepedia", details)
    import_file(location, "vesiclepedia", cargo)
    # experiment 1 now isolated on a density gradient, experiment 2 gone, experiment 4 new
    lines = EXPERIMENTS.splitlines(keepends=True)
    changed = lines[1].replace("ExoQuick", "OptiPrep density gradient centrifugation")
    details.write_text(lines[0] + changed + changed.replace("1\t1\t", "4\t4\t", 1), encoding="utf-8")
    import_file(location, "vesiclepedia", details)
    experiment = "https://w3id.org/exoowl/id/vesiclepedia/experiment/"
    with Store.open(kg.store_path) as store:
        kept = misev_graph(store)
        graph = ox.NamedNode(GRAPH_MISEV)
        whole = {ox.Quad(q.subject, q.predicate, q.object, graph) for q in assess(store, MARKERS)}
        summaries = {q for q in kept if q.subject.value.startswith("https://w3id.org/exoowl/id/misev-summary/")}
        ranks = {q for q in kept if q.predicate.value == ONT + "rigourRank"}  # of the whole store: below
        assert kept - summaries - ranks == whole
        # the classes of each experiment's vesicles, up to 'extracellular vesicle', 1's without 'small EV
        # reported as exosome' now that its isolation is high; 2 and 3 have no details, so no vesicle
        classes: dict[str, set[str]] = {}
        for q in kept:
            if q.predicate.value == ONT + "assessedVesicleClass":
                classes.setdefault(q.subject.value, set()).add(q.object.value.removeprefix(ONT))
        assert classes == {experiment + n + "/misev": {"Exosome", "SmallEV", "ExtracellularVesicle"} for n in "14"}
        # the assessments of experiments with a vesicle numbered once, 1 for the best score, ties by record
        scores = {q.subject.value: int(q.object.value) for q in kept if q.predicate.value == ONT + "rigourScore"}
        places = {q.subject.value: int(q.object.value) for q in ranks}
        assert sorted(places.values()) == list(range(1, len(classes) + 1))
        assert sorted(places, key=places.__getitem__) == sorted(classes, key=lambda a: (-scores[a], a))
        # one summary per database and vesicle class, counted again: the replaced ones are gone
        counts = {(q.subject.value, q.object.value) for q in summaries if q.predicate.value.endswith("ExperimentCount")}
        assert counts == {(f"{SUMMARY}{quote(ONT + 'Exosome', safe='')}", "2")}  # experiments 1 and 4
        grades = {q.subject.value: q.object.value for q in kept if q.predicate.value == ONT + "isolationSpecificity"}
        # 2 keeps an assessment: the cargo file still holds its records (without its details now)
        assert grades == {
            experiment + "1/misev": ONT + "HighSpecificity",
            experiment + "2/misev": ONT + "SpecificityNotReported",
            experiment + "3/misev": ONT + "SpecificityNotReported",
            experiment + "4/misev": ONT + "HighSpecificity",
        }
        small = {q.subject.value for q in kept if q.object.value == ONT + "SmallEVReportedAsExosome"}
        assert small == set()  # 1's exosomes were small EVs until its isolation was high


def test_hermit_classifies_an_exosome_of_a_low_specificity_experiment_as_a_small_ev() -> None:
    root = Path(__file__).resolve().parents[1]
    release = release_graph(root / "ontology" / "exoowl-edit.ttl", root / "data" / "mappings" / "exoowl_obo.sssom.tsv")
    data = Graph()
    test = "https://w3id.org/exoowl/id/test/"
    for n, grade in enumerate(("LowSpecificity", "HighSpecificity")):
        e, a, v = URIRef(f"{test}experiment{n}"), URIRef(f"{test}assessment{n}"), URIRef(f"{test}vesicle{n}")
        data.add((e, RDF.type, URIRef(ONT + "EVExperiment")))
        data.add((e, URIRef(ONT + "studiesVesicle"), v))
        data.add((v, RDF.type, URIRef(ONT + "Exosome")))
        data.add((e, URIRef(ONT + "hasRigourAssessment"), a))
        data.add((a, URIRef(ONT + "isolationSpecificity"), URIRef(ONT + grade)))
        data.add((a, URIRef(ONT + "rigourScore"), Literal(n)))
    classification = hermit_graphs(release, data)
    assert classification.consistent
    drawn = {(i.removeprefix(test), c.removeprefix(ONT)) for i, c in classification.inferred_types}
    assert ("vesicle0", "SmallEVReportedAsExosome") in drawn  # the isolation could not tell exosomes apart
    assert not any(i == "vesicle1" and c == "SmallEVReportedAsExosome" for i, c in drawn)


def test_the_misev_shapes_find_what_an_imported_experiment_does_not_report(kg: Settings, tmp_path: Path) -> None:
    from exoowl.misev import GRAPH_MISEV as MISEV
    from exoowl.misev import IMPORT_SHAPES
    from exoowl.namespaces import GRAPH_ONTOLOGY
    from exoowl.rdfio import to_rdflib
    from exoowl.validate import load_shapes, validate_graph

    details = tmp_path / "experiments.txt"
    details.write_text(EXPERIMENTS + "3\t3\tHomo sapiens\tt\tPlasma\tts\tp\tProtein\tRNA-seq\t2013\t-\tExosomes\n")
    report = import_file(StoreLocation(kg.store_path), "vesiclepedia", details)
    with Store.open(kg.store_path) as store:
        data = Graph()
        for graph in (report.graph, MISEV, str(GRAPH_ONTOLOGY)):
            data += to_rdflib(store.db.quads_for_pattern(None, None, None, ox.NamedNode(graph)))
    results = validate_graph(data, load_shapes(IMPORT_SHAPES)).results
    experiment = "https://w3id.org/exoowl/id/vesiclepedia/experiment/"
    violations = {
        (r.focus.removeprefix(experiment), r.message.split(":")[0]) for r in results if r.severity == "Violation"
    }
    assert {focus for focus, _ in violations} == {"3"}  # no isolation method, no protein characterisation
    assert len([r for r in results if r.severity == "Violation" and r.focus == experiment + "3"]) == 2
    warned = {r.focus.removeprefix(experiment) for r in results if r.severity == "Warning" and "separate" in r.message}
    assert warned == {"1", "3"}  # ExoQuick alone; nothing reported
    assert not list(kg.shapes_dir.glob("misev-experiments*"))  # not in the write gate's shapes
