"""The mapping set of exoowl classes to OBO terms (data/mappings/exoowl_obo.sssom.tsv): its rows name
exoowl classes by their labels, the release states every mapping it makes, a malformed row is refused
with its line, and, when the sources' repositories are here, each object label is its source's and each
'no term found' cell type is indeed absent from CL."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDFS, SKOS

from exoowl import reused_terms as rt
from exoowl.errors import InputError
from exoowl.ontology import MAPPING_COLUMNS, edit_graph, mapping_triples

ROOT = Path(__file__).resolve().parents[1]
MAPPINGS = ROOT / "data" / "mappings" / "exoowl_obo.sssom.tsv"
EDIT = ROOT / "ontology" / "exoowl-edit.ttl"
RELEASE = ROOT / "ontology" / "exoowl.owl"
EXOOWL = "https://w3id.org/exoowl/ontology/"
MIRRORS = Path("/work/.mirror")
REFERENCE = ROOT.parent / "shared" / "reference"
MAPPING_PROPERTIES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


def rows() -> list[dict[str, str]]:
    lines = [line for line in MAPPINGS.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_rows_name_exoowl_classes_by_their_labels() -> None:
    edit = edit_graph(EDIT)
    for row in rows():
        subject = rdflib.URIRef(EXOOWL + row["subject_id"].removeprefix("exoowl:"))
        assert [str(label) for label in edit.objects(subject, RDFS.label)] == [row["subject_label"]], row
        assert row["object_id"] == "sssom:NoTermFound" or row["object_label"], row


def test_the_release_states_exactly_the_mappings_of_the_set() -> None:
    release = rdflib.Graph().parse(RELEASE, format="xml")
    stated = {(s, p, o) for p in MAPPING_PROPERTIES for s, o in release.subject_objects(p) if str(s).startswith(EXOOWL)}
    expected = set(mapping_triples(MAPPINGS))
    assert stated == expected
    assert len(expected) == sum(row["object_id"] != "sssom:NoTermFound" for row in rows())


def test_a_row_with_an_unknown_predicate_is_refused_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sssom.tsv"
    body = MAPPINGS.read_text(encoding="utf-8").replace("\tskos:broadMatch\t", "\tskos:sameAs\t", 1)
    bad.write_text(body, encoding="utf-8")
    line = next(n for n, text in enumerate(body.splitlines(), 1) if "\tskos:sameAs\t" in text)
    with pytest.raises(InputError, match=rf"bad.sssom.tsv:{line}: predicate_id"):
        mapping_triples(bad)


def test_a_set_without_the_header_row_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text("# mapping_set_version: x\n" + "\t".join(MAPPING_COLUMNS[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="header row"):
        mapping_triples(bad)


def fetched(*repos: str) -> bool:
    return REFERENCE.is_dir() and all((MIRRORS / r.replace("/", "+") / "repo").is_dir() for r in repos)


SOURCE_REPOS = sorted({s.repo for v in rt.SOURCES.values() for s in v if s.repo != "reference"})


@pytest.mark.skipif(not fetched(*SOURCE_REPOS), reason="needs the fetched repositories and the reference")
def test_object_labels_are_the_sources_labels() -> None:
    found = [row for row in rows() if row["object_id"] != "sssom:NoTermFound"]
    derived = {
        r[0]: r[1] for r in rt.derive(MIRRORS, REFERENCE, sorted({rt.curie_to_iri(r["object_id"]) for r in found}))
    }
    assert {row["object_id"]: row["object_label"] for row in found} == {
        row["object_id"]: derived[rt.curie_to_iri(row["object_id"])] for row in found
    }


@pytest.mark.skipif(not fetched("obophenotype/cell-ontology"), reason="needs CL's repository")
def test_cell_types_without_a_term_are_not_in_cl() -> None:
    git_dir = MIRRORS / "obophenotype+cell-ontology" / "repo"
    text = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", "HEAD:src/ontology/cl-edit.owl"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = {
        " ".join(m[1].lower().replace("tumour", "tumor").replace("-", " ").split())
        for m in re.finditer(r'(?:rdfs:label|oboInOwl:has\w*Synonym) obo:CL_\w+ "([^"]*)"', text)
    }
    edit = edit_graph(EDIT)
    missing = [row for row in rows() if row["object_id"] == "sssom:NoTermFound"]
    assert missing
    for row in missing:
        subject = rdflib.URIRef(EXOOWL + row["subject_id"].removeprefix("exoowl:"))
        ours = [row["subject_label"], *map(str, edit.objects(subject, rdflib.URIRef(f"{rt.OBO}IAO_0000118")))]
        ours += [
            str(s)
            for s in edit.objects(
                subject, rdflib.URIRef("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym")
            )
        ]
        keys = {" ".join(n.lower().replace("tumour", "tumor").replace("-", " ").split()) for n in ours}
        assert not keys & names, (row["subject_id"], keys & names)
