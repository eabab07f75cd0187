"""MISEV rigour of the imported experiments: what the records of each experiment show of what the
MISEV2018/2023 guidelines ask for, as triples in one graph (``GRAPH_MISEV``, among the import graphs),
made again after every import for the experiments the import names (those of the graph it replaced
and of the new one), so that an experiment's details and its cargo, imported from different files, are
read together; with them, counts per database and studied vesicle class (``exoowl:MISEVMarkerSummary``).

Four criteria, each with its points and a sentence saying why (ontology: ``exoowl:MISEVCriterion``):

- isolation specificity (0-2): density gradient or immunoaffinity capture, or size-exclusion
  chromatography with another separation, is high (2); ultracentrifugation, differential
  centrifugation, size exclusion or tangential flow filtration alone is intermediate (1); precipitation,
  filtration and unstated kits are low (0), as is an experiment with no isolation method recorded;
- characterisation (0-3): one point each for a protein method, single-vesicle imaging and particle
  size/concentration measurement, among the experiment's methods and its cargo records' methods;
- EV proteins (0-2): a MISEV category 1 (membrane) and a category 2 (luminal) protein among its cargo;
- negative controls (0-1): with at least ``MIN_PROTEINS`` cargo proteins, none of categories 3 and 4.

A vesicle reported as an exosome by an experiment whose isolation is not highly specific is also
typed ``exoowl:SmallEVReportedAsExosome`` (the ontology defines that class so that a reasoner draws the
same conclusion from the assessment). The protein categories are ``data/mappings/misev_markers.tsv``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from .config import default_root
from .errors import InputError
from .namespaces import EXOID, EXOOWL, IMPORT_GRAPHS
from .service import internal_query
from .store import Store

GRAPH_MISEV = f"{IMPORT_GRAPHS}derived/misev"  # an import graph: builds keep it, the endpoint cannot write it
# the MISEV shapes of imported experiments: outside ontology/shapes, so that they are not part of the
# write gate (their sh:or and path sequence would make every focused write validate the whole graph)
IMPORT_SHAPES = default_root() / "ontology" / "import-shapes"
MIN_PROTEINS = 20  # fewer cargo proteins than this, and the absence of negative controls says nothing
MAXIMUM_SCORE = 8
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
XSD = "http://www.w3.org/2001/XMLSchema#"

# isolation grades, from the classes of an experiment's isolation methods (most specific first)
HIGH = ("DensityGradientUltracentrifugation", "ImmunoaffinityCapture")
COMBINABLE = "SizeExclusionChromatography"  # high with another separation, intermediate alone
INTERMEDIATE = (
    "Ultracentrifugation",
    "DifferentialCentrifugation",
    "SizeExclusionChromatography",
    "TangentialFlowFiltration",
)
SEPARATIONS = (*HIGH, *INTERMEDIATE, "Filtration", "Centrifugation", "PolymerPrecipitation", "MicrofluidicIsolation")
CHARACTERISATION = {
    "protein": ("WesternBlot", "MassSpectrometry", "FlowCytometry", "Immunoassay", "ELISA"),
    "single-vesicle imaging": ("SingleVesicleImagingMethod",),
    "particle size and concentration": ("ParticleSizeAndConcentrationMeasurement",),
}


def _o(local: str) -> ox.NamedNode:
    return ox.NamedNode(f"{EXOOWL}{local}")


@dataclass(frozen=True)
class Marker:
    symbol: str
    entrez: str
    category: int


def load_markers(path: Path) -> list[Marker]:
    """The MISEV protein categories table (``data/mappings/misev_markers.tsv``)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t")
    markers = []
    for number, line in enumerate(lines[1:], 2):
        row = dict(zip(header, line.split("\t"), strict=False))
        if row.get("category") not in {"1", "2", "3", "4"} or not row.get("entrez_id", "").isdigit():
            raise InputError("a MISEV marker needs a category 1-4 and an Entrez Gene ID", path, line=number)
        markers.append(Marker(row["symbol"], row["entrez_id"], int(row["category"])))
    return markers


@dataclass
class Evidence:
    """What the records say of one experiment."""

    isolation: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # method label → classes
    characterisation: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    proteins: dict[str, str] = field(default_factory=dict)  # gene IRI → label
    exosomes: list[str] = field(default_factory=list)
    vesicle_classes: set[str] = field(default_factory=set)  # those of its studied vesicles, up to EV


@dataclass(frozen=True)
class Result:
    criterion: str
    score: int
    assessed: bool
    explanation: str
    genes: tuple[str, ...] = ()


ALL_EXPERIMENTS = "VALUES ?experiment { UNDEF }"  # in each evidence query: replaced to ask of some only
BATCH = 500  # experiments per evidence query


def _rows(store: Store, name: str, experiments: list[str] | None = None, **bound: str) -> Iterator[ox.QuerySolution]:
    """An internal query's solutions over the union of the graphs, with some variables bound, and,
    given ``experiments``, of those only: their IRIs (the store's own, written by pyoxigraph) are
    listed in the query's VALUES, which the planner starts from, where it would read every record
    and join the bound ones last."""
    text = internal_query(name)
    if experiments is not None:
        listed = " ".join(str(ox.NamedNode(e)) for e in experiments)
        text = text.replace(ALL_EXPERIMENTS, f"VALUES ?experiment {{ {listed} }}")
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        ox.Variable(variable): ox.NamedNode(iri) for variable, iri in bound.items()
    }
    solutions = store.db.query(text, use_default_graph_as_union=True, substitutions=substitutions)
    assert isinstance(solutions, ox.QuerySolutions)  # the internal queries are SELECTs
    yield from solutions


def gather(store: Store, experiments: Iterable[str] | None = None) -> dict[str, Evidence]:
    """What the records say of every experiment, or of the given ones only (at millions of cargo
    records, reading all of them for the few experiments an import changed takes a minute)."""
    evidence: dict[str, Evidence] = defaultdict(Evidence)
    listed = sorted(experiments) if experiments is not None else None
    batches: list[list[str] | None] = (
        [None] if listed is None else [listed[i : i + BATCH] for i in range(0, len(listed), BATCH)]
    )
    uses: list[tuple[str, str, str]] = []  # experiment, use, method IRI
    for batch in batches:
        for row in _rows(store, "misev-experiments", batch):
            evidence[row["experiment"].value]
        uses += [
            (r["experiment"].value, r["use"].value, r["method"].value) for r in _rows(store, "misev-method-uses", batch)
        ]
        for row in _rows(store, "misev-proteins", batch):
            evidence[row["experiment"].value].proteins[row["gene"].value] = row["label"].value if row["label"] else ""
        for row in _rows(store, "misev-exosomes", batch):
            evidence[row["experiment"].value].exosomes.append(row["vesicle"].value)
        for row in _rows(store, "misev-vesicle-classes", batch):
            evidence[row["experiment"].value].vesicle_classes.add(row["class"].value)
    methods: dict[str, tuple[str, set[str]]] = {}  # method IRI → its label and classes (local names)
    for method in sorted({m for _, _, m in uses}):
        label, classes = "", set()
        for row in _rows(store, "misev-method-classes", method=method):
            label = label or row["label"].value
            classes.add(row["class"].value.removeprefix(str(EXOOWL)))
        methods[method] = (label, classes)
    for experiment, use, method in uses:
        target = evidence[experiment].isolation if use == "isolation" else evidence[experiment].characterisation
        label, classes = methods[method]
        target[label or method] |= classes
    return evidence


def isolation(evidence: Evidence) -> tuple[str, Result]:
    """The specificity grade (an exoowl individual's local name) and its criterion result."""
    methods = evidence.isolation
    if not methods:
        return "SpecificityNotReported", Result(
            "IsolationSpecificityCriterion", 0, True, "no isolation method is recorded for this experiment"
        )
    high = sorted(m for m, classes in methods.items() if classes & set(HIGH))
    separations = [m for m, classes in methods.items() if classes & set(SEPARATIONS)]
    combined = sorted(m for m, classes in methods.items() if COMBINABLE in classes and len(separations) > 1)
    middle = sorted(m for m, classes in methods.items() if classes & set(INTERMEDIATE))
    used = f"(methods: {', '.join(sorted(methods))})"
    if high or combined:
        why = "separate(s) by density or by a surface protein" if high else "size exclusion with another separation"
        text = f"high: {', '.join(high or combined)} {why} {used}"
        return "HighSpecificity", Result("IsolationSpecificityCriterion", 2, True, text)
    if middle:
        text = f"intermediate: {', '.join(middle)} separate(s) by sedimentation or size alone {used}"
        return "IntermediateSpecificity", Result("IsolationSpecificityCriterion", 1, True, text)
    text = f"low: no method that separates vesicles from other particles {used}"
    return "LowSpecificity", Result("IsolationSpecificityCriterion", 0, True, text)


def characterisation(evidence: Evidence) -> Result:
    found = {
        kind: sorted(m for m, classes in evidence.characterisation.items() if classes & set(kinds))
        for kind, kinds in CHARACTERISATION.items()
    }
    parts = [f"{kind}: {', '.join(methods) if methods else 'none'}" for kind, methods in found.items()]
    return Result("CharacterisationCriterion", sum(1 for m in found.values() if m), True, "; ".join(parts))


def _found(evidence: Evidence, markers: list[Marker], categories: set[int]) -> list[tuple[Marker, str]]:
    """The experiment's cargo proteins of the given MISEV categories (human genes by Entrez ID, other
    species' by symbol)."""
    by_symbol = {m.symbol.casefold(): m for m in markers if m.category in categories}
    by_gene = {f"https://w3id.org/exoowl/id/gene/{m.entrez}": m for m in markers if m.category in categories}
    found = []
    for gene, label in evidence.proteins.items():
        marker = by_gene.get(gene) or by_symbol.get(label.casefold())
        if marker:
            found.append((marker, gene))
    return sorted(found, key=lambda pair: (pair[0].category, pair[0].symbol))


def ev_proteins(evidence: Evidence, markers: list[Marker]) -> Result:
    if not evidence.proteins:
        return Result("EVProteinCriterion", 0, False, "no protein cargo of this experiment is imported")
    found = _found(evidence, markers, {1, 2})
    membrane = sorted({m.symbol for m, _ in found if m.category == 1})
    lumen = sorted({m.symbol for m, _ in found if m.category == 2})
    return Result(
        "EVProteinCriterion",
        bool(membrane) + bool(lumen),
        True,
        f"membrane (category 1): {', '.join(membrane) or 'none'}; luminal (category 2): {', '.join(lumen) or 'none'} "
        f"among {len(evidence.proteins)} cargo proteins",
        tuple(gene for _, gene in found),
    )


def negative_controls(evidence: Evidence, markers: list[Marker]) -> Result:
    if len(evidence.proteins) < MIN_PROTEINS:
        return Result(
            "NegativeControlCriterion",
            0,
            False,
            f"{len(evidence.proteins)} cargo proteins imported: too few for an absence to mean anything",
        )
    found = _found(evidence, markers, {3, 4})
    if not found:
        return Result(
            "NegativeControlCriterion",
            1,
            True,
            f"none of the co-isolate or intracellular proteins among {len(evidence.proteins)} cargo proteins",
        )
    names = ", ".join(sorted({f"{m.symbol} (category {m.category})" for m, _ in found}))
    return Result(
        "NegativeControlCriterion",
        0,
        True,
        f"{names} among the cargo: the preparation holds non-EV material",
        tuple(gene for _, gene in found),
    )


def assessment_quads(
    experiment: str, evidence: Evidence, markers: list[Marker], downgraded: Iterable[str] = ()
) -> Iterator[ox.Quad]:
    """An experiment's assessment; ``downgraded``: the classes its exosomes gain when its isolation is
    not highly specific ('small EV reported as exosome' and its superclasses)."""
    graph = ox.NamedNode(GRAPH_MISEV)
    node = ox.NamedNode(f"{experiment}/misev")
    grade, first = isolation(evidence)
    results = [first, characterisation(evidence), ev_proteins(evidence, markers), negative_controls(evidence, markers)]
    subject = ox.NamedNode(experiment)
    yield ox.Quad(subject, _o("hasRigourAssessment"), node, graph)
    yield ox.Quad(node, RDF_TYPE, _o("MISEVAssessment"), graph)
    yield ox.Quad(node, _o("isolationSpecificity"), _o(grade), graph)
    score = sum(r.score for r in results)
    yield ox.Quad(node, _o("rigourScore"), ox.Literal(str(score), datatype=ox.NamedNode(f"{XSD}integer")), graph)
    for result in results:
        part = ox.NamedNode(f"{experiment}/misev/{result.criterion}")
        yield ox.Quad(node, _o("hasCriterionResult"), part, graph)
        yield ox.Quad(part, RDF_TYPE, _o("MISEVCriterionResult"), graph)
        yield ox.Quad(part, _o("assessesCriterion"), _o(result.criterion), graph)
        points = ox.Literal(str(result.score), datatype=ox.NamedNode(f"{XSD}integer"))
        yield ox.Quad(part, _o("criterionScore"), points, graph)
        assessed = ox.Literal(str(result.assessed).lower(), datatype=ox.NamedNode(f"{XSD}boolean"))
        yield ox.Quad(part, _o("criterionAssessed"), assessed, graph)
        yield ox.Quad(part, _o("explanation"), ox.Literal(result.explanation), graph)
        for gene in dict.fromkeys(result.genes):
            yield ox.Quad(part, _o("evidenceGene"), ox.NamedNode(gene), graph)
    classes = set(evidence.vesicle_classes)
    if grade != "HighSpecificity" and evidence.exosomes:
        classes |= set(downgraded)
        for vesicle in evidence.exosomes:
            yield ox.Quad(ox.NamedNode(vesicle), RDF_TYPE, _o("SmallEVReportedAsExosome"), graph)
    for vesicle_class in sorted(classes):
        yield ox.Quad(node, _o("assessedVesicleClass"), ox.NamedNode(vesicle_class), graph)


def assess(store: Store, markers: list[Marker], experiments: Iterable[str] | None = None) -> Iterator[ox.Quad]:
    """The MISEV graph's quads for every experiment in the store, or for the given ones."""
    small = _o("SmallEVReportedAsExosome").value
    downgraded = [row["ancestor"].value for row in _rows(store, "misev-class-ancestors", None, **{"class": small})]
    for experiment, evidence in sorted(gather(store, experiments).items()):
        yield from assessment_quads(experiment, evidence, markers, downgraded)


def graph_experiments(store: Store, graph: str) -> set[str]:
    """The experiments a graph describes or holds records of: those whose assessment it can change."""
    rows = _rows(store, "misev-graph-experiments", graph=graph)
    return {row["experiment"].value for row in rows}


def _assessed_experiment(subject: str, experiments: set[str]) -> bool:
    """Whether a MISEV graph subject belongs to one of the experiments: the experiment itself, its
    assessment (``…/misev``), a criterion result (``…/misev/C``) or a studied vesicle (``…/vesicle/V``);
    record IDs are percent-encoded, so an experiment IRI holds no further '/'."""
    return any(candidate in experiments for candidate in (subject, *(subject.rsplit("/", n)[0] for n in (1, 2))))


CRITERIA = (
    "IsolationSpecificityCriterion",
    "CharacterisationCriterion",
    "EVProteinCriterion",
    "NegativeControlCriterion",
)


def _stale_quads(store: Store, experiments: set[str]) -> list[ox.Quad]:
    """The MISEV graph's quads of the given experiments: those of each experiment, its assessment and
    criterion results, read by subject, and the vesicle typings among all of them (a vesicle whose
    experiment has gone is not linked to it any more)."""
    graph = ox.NamedNode(GRAPH_MISEV)
    subjects = [
        ox.NamedNode(iri)
        for e in sorted(experiments)
        for iri in (e, f"{e}/misev", *(f"{e}/misev/{criterion}" for criterion in CRITERIA))
    ]
    quads = [q for subject in subjects for q in store.db.quads_for_pattern(subject, None, None, graph)]
    typings = store.db.quads_for_pattern(None, RDF_TYPE, _o("SmallEVReportedAsExosome"), graph)
    return quads + [
        q for q in typings if isinstance(q.subject, ox.NamedNode) and _assessed_experiment(q.subject.value, experiments)
    ]


def reassess(store: Store, markers_path: Path, experiments: set[str] | None = None) -> int:
    """Bring the MISEV graph of a store being written (a checkpoint copy) up to date: a fresh
    assessment of every experiment, or of the given ones (those an import changed) in place of their
    previous one; the graph's size in triples."""
    graph = ox.NamedNode(GRAPH_MISEV)
    markers = load_markers(markers_path)
    if experiments is None or not store.db.contains_named_graph(graph):
        if store.db.contains_named_graph(graph):
            store.db.remove_graph(graph)
        store.db.extend(list(assess(store, markers)))
    else:
        for quad in _stale_quads(store, experiments):
            store.db.remove(quad)
        store.db.extend(list(assess(store, markers, experiments)))
    summarise(store)
    rank(store)
    store.db.add_graph(graph)
    return store.count(GRAPH_MISEV)


def _record_order(record: str) -> tuple[int, int | str]:
    """Record IDs in their natural order: numbers by value, before any other text."""
    return (0, int(record)) if record.isdigit() else (1, record)


def rank(store: Store) -> None:
    """Number the assessments of experiments with a studied vesicle, 1 for the highest score (ties by
    database and record ID),
    as ``exoowl:rigourRank``: a listing by rigour then reads a page of ranks, where sorting every
    assessment's score and identifiers would cost each request a second at millions of triples."""
    graph = ox.NamedNode(GRAPH_MISEV)
    for quad in list(store.db.quads_for_pattern(None, _o("rigourRank"), None, graph)):
        store.db.remove(quad)
    keys: dict[ox.NamedNode, tuple[int, str, tuple[int, int | str]]] = {}
    for row in _rows(store, "misev-ranking"):
        key = (-int(row["score"].value), row["database"].value, _record_order(row["record"].value))
        keys[row["assessment"]] = min(key, keys.get(row["assessment"], key))
    integer = ox.NamedNode(f"{XSD}integer")
    ordered = sorted(keys, key=lambda node: (keys[node], node.value))
    store.db.extend(
        ox.Quad(node, _o("rigourRank"), ox.Literal(str(place), datatype=integer), graph)
        for place, node in enumerate(ordered, 1)
    )


SUMMARY_COUNTS = {  # the summary query's columns → the summary's properties
    "experiments": "assessedExperimentCount",
    "with_protein_cargo": "withProteinCargoCount",
    "with_membrane_and_luminal_protein": "withMembraneAndLuminalProteinCount",
    "with_one_kind_of_ev_protein": "withOneKindOfEVProteinCount",
    "judged_for_negative_controls": "judgedForNegativeControlsCount",
    "with_negative_control_found": "withNegativeControlFoundCount",
}


def _summary_node(database: ox.NamedNode, vesicle_class: ox.NamedNode) -> ox.NamedNode:
    return ox.NamedNode(f"{EXOID}misev-summary/{quote(database.value, safe='')}/{quote(vesicle_class.value, safe='')}")


def summarise(store: Store) -> None:
    """Replace the MISEV marker summaries (per database and studied vesicle class) by counts of the
    assessments now in the store: read by the markers-by-vesicle-type query, which would otherwise
    join every experiment's criterion results (a second at millions of triples)."""
    graph = ox.NamedNode(GRAPH_MISEV)
    old = [s for s in store.db.quads_for_pattern(None, RDF_TYPE, _o("MISEVMarkerSummary"), graph)]
    for summary in old:
        for quad in list(store.db.quads_for_pattern(summary.subject, None, None, graph)):
            store.db.remove(quad)
    quads = []
    integer = ox.NamedNode(f"{XSD}integer")
    for row in _rows(store, "misev-marker-summary"):
        node = _summary_node(row["database"], row["class"])
        quads += [
            ox.Quad(node, RDF_TYPE, _o("MISEVMarkerSummary"), graph),
            ox.Quad(node, _o("summarisesDatabase"), row["database"], graph),
            ox.Quad(node, _o("summarisesVesicleClass"), row["class"], graph),
        ]
        quads += [
            ox.Quad(node, _o(p), ox.Literal(row[c].value, datatype=integer), graph) for c, p in SUMMARY_COUNTS.items()
        ]
    for row in _rows(store, "misev-controls-found"):
        quads.append(
            ox.Quad(_summary_node(row["database"], row["class"]), _o("negativeControlFound"), row["gene"], graph)
        )
    store.db.extend(quads)
