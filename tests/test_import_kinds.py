"""Every Vesiclepedia download kind, read from the real rows in ../shared/reference/vesiclepedia-sample
(skipped where that folder is absent): the kind is detected from the header, no row is rejected,
and what the rows say reaches the graph as terms of the ontology and the mapping tables."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from conftest import SHARED

from exoowl.importers import SOURCES, ImportReport, curated_lookups, default_vocabularies, write_nquads
from exoowl.vocabulary import key

SAMPLES = SHARED / "reference" / "vesiclepedia-sample"
ID = "https://w3id.org/exoowl/id/vesiclepedia/"
ONT = "https://w3id.org/exoowl/ontology/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
OBO = "http://purl.obolibrary.org/obo/"
VOCABULARIES = default_vocabularies()

pytestmark = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"{SAMPLES} is absent (the reference material)")


def imported(name: str) -> tuple[ImportReport, ox.Store]:
    path = SAMPLES / f"Vesiclepedia_{name}.sample.txt"
    out, report = io.StringIO(), ImportReport("vesiclepedia", "", path, "")
    lookups = curated_lookups(None, VOCABULARIES)
    write_nquads(path, out, SOURCES["vesiclepedia"], report, date(2026, 12, 3), None, lookups, lambda *_: None)
    store = ox.Store()
    store.load(out.getvalue().encode(), format=ox.RdfFormat.N_QUADS)
    return report, store


def objects(store: ox.Store, subject: str | None, predicate: str) -> list[str]:
    node = ox.NamedNode(subject) if subject else None
    return sorted(q.object.value for q in store.quads_for_pattern(node, ox.NamedNode(predicate), None, None))


def data_rows(name: str) -> list[list[str]]:
    text = (SAMPLES / f"Vesiclepedia_{name}.sample.txt").read_bytes().decode("utf-8")
    return [line.removesuffix("\r").split("\t") for line in text.split("\n")[1:] if line.strip()]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("experiment_details", "experiments"),
        ("miRNA_details", "mirna"),
        ("lipid_details", "lipid"),
        ("PTM_details", "ptm"),
        ("RNAs_GPAD", "go-annotations"),
    ],
)
def test_every_kind_is_read_whole(name: str, kind: str) -> None:
    report, _ = imported(name)
    expected = len([r for r in data_rows(name) if not r[0].startswith("!")])
    assert report.kind == kind and report.records == expected and report.bad_rows == 0
    assert not report.verbatim  # every column of these files is mapped by its reader


def test_experiments_reach_terms_in_every_mapped_column() -> None:
    report, store = imported("experiment_details")
    for column in ("VESICLE TYPE", "ISOLATION METHOD", "METHODS", "IDENTIFICATIONS", "SAMPLE SOURCE", "SPECIES"):
        mapped, values = report.coverage()[column]
        assert mapped >= 0.95 * values, (column, mapped, values, [u for u in report.unmapped if u[0] == column])
    header = (SAMPLES / "Vesiclepedia_experiment_details.sample.txt").read_text().split("\n")[0].split("\t")
    column: Callable[[list[str], str], str] = lambda row, name: row[header.index(name)].strip()  # noqa: E731
    for row in data_rows("experiment_details"):
        experiment = f"{ID}experiment/{column(row, 'EXPERIMENT ID')}"
        for method in filter(None, (m.strip() for m in column(row, "ISOLATION METHOD").split("|"))):
            if method == "-":
                continue
            node = f"{ID}method/{quote(key(method), safe='')}"
            assert node in objects(store, experiment, f"{ONT}isolatedWith"), (experiment, method)
            terms = VOCABULARIES["isolation-methods"].lookup(method) or ()
            assert {t.iri for t in terms if t.types} <= set(objects(store, node, RDF_TYPE))
        vesicles = objects(store, experiment, f"{ONT}studiesVesicle")
        assert len(vesicles) == len({v.strip() for v in column(row, "VESICLE TYPE").replace("/", "|").split("|")})
        for vesicle in vesicles:
            assert any(t.startswith(ONT) for t in objects(store, vesicle, RDF_TYPE))
        if "cl" in column(row, "SAMPLE SOURCE").split("|"):
            lines = [t for t in VOCABULARIES["cell-lines"].lookup(column(row, "SAMPLE NAME")) or () if t.types]
            used = objects(store, experiment, f"{ONT}usesCellLine")
            assert sorted(f"https://w3id.org/exoowl/id/cell-line/{t.iri.rsplit('/', 1)[-1]}" for t in lines) == used


def test_cancer_cell_lines_give_their_experiments_a_cancer() -> None:
    _, store = imported("experiment_details")
    lines = objects(store, None, f"{ONT}usesCellLine")
    with_cancer = [line for line in set(lines) if objects(store, line, f"{ONT}hasCancerOfOrigin")]
    assert with_cancer, "no cell line of the sample rows has a DepMap disease"
    for line in with_cancer:
        for cancer in objects(store, line, f"{ONT}hasCancerOfOrigin"):
            assert any(t.startswith(f"{OBO}MONDO_") for t in objects(store, cancer, RDF_TYPE))
    studied = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(f"{ONT}studiesCancer"), None, None)}
    users = {
        q.subject.value
        for q in store.quads_for_pattern(None, ox.NamedNode(f"{ONT}usesCellLine"), None, None)
        if q.object.value in with_cancer
    }
    assert users <= studied


def test_mirna_records_reach_mirbase_accessions_with_their_species() -> None:
    _, store = imported("miRNA_details")
    molecules = {
        q.subject.value: q.object.value
        for q in store.quads_for_pattern(None, ox.NamedNode(f"{ONT}observedMolecule"), None, None)
    }
    taxon = {
        q.subject.value: q.object.value
        for q in store.quads_for_pattern(None, ox.NamedNode(f"{OBO}RO_0002162"), None, None)
    }
    for species in ("9606", "10090"):
        records = [o for o in molecules if taxon.get(o) == f"{OBO}NCBITaxon_{species}"]
        resolved = [o for o in records if molecules[o].startswith("https://w3id.org/exoowl/id/mirna/MIMAT")]
        assert len(resolved) >= 0.9 * len(records), (species, len(resolved), len(records))
        for observation in resolved:  # a mature miRNA is of the species its record says
            assert taxon[molecules[observation]] == f"{OBO}NCBITaxon_{species}"


def test_lipids_ptms_and_go_annotations() -> None:
    _, lipids = imported("lipid_details")
    names = {row[2].strip() for row in data_rows("lipid_details")}
    lipid_nodes = {
        q.subject.value
        for q in lipids.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(f"{ONT}Lipid"), None)
    }
    assert len(lipid_nodes) == len({key(n) for n in names})
    _, ptms = imported("PTM_details")
    sites = [q.object for q in ptms.quads_for_pattern(None, ox.NamedNode(f"{ONT}modificationSite"), None, None)]
    assert sites and all(s.datatype.value.endswith("#integer") for s in sites)  # type: ignore[attr-defined]
    assert {r[5].strip() for r in data_rows("PTM_details")} == {s.value for s in sites}
    _, go = imported("RNAs_GPAD")
    terms = set(objects(go, None, f"{ONT}annotationTerm"))
    assert terms == {f"{OBO}{r[3].replace(':', '_')}" for r in data_rows("RNAs_GPAD") if not r[0].startswith("!")}
    produced = set(objects(go, None, f"{ONT}extensionProducedBy"))
    assert produced and all(p.startswith(f"{OBO}CL_") for p in produced)
    assert all(p.startswith(f"{OBO}UBERON_") for p in objects(go, None, f"{ONT}extensionPartOf"))


def test_a_mirna_named_by_its_two_armed_precursor_is_linked_to_the_precursor(tmp_path: Path) -> None:
    from exoowl.mirbase import TABLE, load

    mirbase = load(Path(__file__).resolve().parents[1] / "data" / "mappings" / "mirbase" / TABLE)
    resolution = mirbase.resolve("hsa-mir-21", "9606")
    assert resolution.reason == "ambiguous-arm" and len(resolution.precursors) == 1
    path = tmp_path / "mirna.txt"
    path.write_text("MIRNA ID\tSPECIES\nhsa-mir-21\tHomo sapiens\n", encoding="utf-8")
    out, report = io.StringIO(), ImportReport("vesiclepedia", "", path, "")
    lookups = curated_lookups(None, VOCABULARIES)
    write_nquads(path, out, SOURCES["vesiclepedia"], report, date(2026, 12, 3), None, lookups, lambda *_: None)
    store = ox.Store()
    store.load(out.getvalue().encode(), format=ox.RdfFormat.N_QUADS)
    [molecule] = objects(store, None, f"{ONT}observedMolecule")
    assert molecule == f"https://w3id.org/exoowl/id/mirna-precursor/{resolution.precursors[0]}"
    assert objects(store, molecule, RDF_TYPE) == [f"{ONT}MicroRNAPrecursor"]
