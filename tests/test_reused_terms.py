"""The reused terms' source labels (data/mappings/reused_terms.tsv, exoowl.reused_terms): the readers of
each source format, the table against the edit file, and the table made again from the sources'
repositories when this machine has them (``fetch`` puts them in /work/.mirror) and the reference folder."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import RDFS

from exoowl import reused_terms as rt
from exoowl.ontology import edit_graph

ROOT = Path(__file__).resolve().parents[1]
EDIT = ROOT / "ontology" / "exoowl-edit.ttl"
TABLE = ROOT / "data" / "mappings" / "reused_terms.tsv"
MIRRORS = Path("/work/.mirror")
REFERENCE = ROOT.parent / "shared" / "reference"


def table() -> list[dict[str, str]]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_obo_reader_takes_each_terms_name() -> None:
    text = (
        'format-version: 1.2\n\n[Term]\nid: SO:0000276\nname: miRNA\ndef: "x" []\n\n'
        "[Typedef]\nid: part_of\nname: part of\n\n[Term]\nid: SO:0000234\nname: mRNA\n"
    )
    assert rt.labels_in(text, rt.Source("r", "p", "obo")) == {
        f"{rt.OBO}SO_0000276": "miRNA",
        f"{rt.OBO}SO_0000234": "mRNA",
    }


def test_functional_syntax_reader_takes_annotated_and_escaped_labels() -> None:
    text = (
        'AnnotationAssertion(rdfs:label obo:CL_0000000 "cell")\n'
        'AnnotationAssertion(Annotation(oboInOwl:hasDbXref "x") rdfs:label obo:CL_0000001 "a \\"b\\" cell"@en)\n'
        'AnnotationAssertion(obo:IAO_0000115 obo:CL_0000002 "not a label")\n'
    )
    assert rt.labels_in(text, rt.Source("r", "p", "ofn")) == {
        f"{rt.OBO}CL_0000000": "cell",
        f"{rt.OBO}CL_0000001": 'a "b" cell',
    }


def test_tsv_reader_skips_comment_lines_and_reads_curies() -> None:
    text = "# curie_map:\n#   MONDO: x\nsubject_id\tsubject_label\tobject_id\nMONDO:0004992\tcancer\tDOID:162\n"
    assert rt.labels_in(text, rt.Source("r", "p", "tsv")) == {f"{rt.OBO}MONDO_0004992": "cancer"}


def test_turtle_reader_takes_rdfs_labels() -> None:
    text = '<http://purl.obolibrary.org/obo/BFO_0000023> <http://www.w3.org/2000/01/rdf-schema#label> "role"@en .'
    assert rt.labels_in(text, rt.Source("r", "p", "ttl")) == {f"{rt.OBO}BFO_0000023": "role"}


def test_a_term_no_source_holds_is_an_error() -> None:
    with pytest.raises(rt.SourceMissing, match="XYZ_0000001"):
        rt.derive(MIRRORS, REFERENCE, [f"{rt.OBO}XYZ_0000001"])


def test_the_table_covers_every_reused_term_with_its_label_and_source() -> None:
    graph = edit_graph(EDIT)
    rows = {row["iri"]: row for row in table()}
    assert sorted(rows) == rt.reused_terms(EDIT)
    for iri, row in rows.items():
        term = rdflib.URIRef(iri)
        assert [str(label) for label in graph.objects(term, RDFS.label)] == [row["source_label"]], iri
        assert graph.value(term, RDFS.isDefinedBy) == rdflib.URIRef(f"{rt.OBO}{row['ontology']}.owl"), iri
        assert row["source"] and row["path"] and row["version"], iri


@pytest.mark.skipif(
    not (MIRRORS.is_dir() and REFERENCE.is_dir()), reason="needs the fetched repositories and the reference"
)
def test_the_sources_still_give_the_tables_labels() -> None:
    needed = {s.repo for sources in rt.SOURCES.values() for s in sources if s.repo != "reference"}
    missing = [repo for repo in needed if not (MIRRORS / repo.replace("/", "+") / "repo").is_dir()]
    if missing:
        pytest.skip(f"not fetched: {', '.join(sorted(missing))}")
    derived = rt.derive(MIRRORS, REFERENCE, rt.reused_terms(EDIT))
    assert [(r[0], r[1], r[3], r[4]) for r in derived] == [
        (row["iri"], row["source_label"], row["source"], row["path"]) for row in table()
    ]


def test_synonym_readers_take_every_scope_and_skip_typedefs() -> None:
    obo = (
        '[Term]\nid: NCBITaxon:9606\nname: Homo sapiens\nsynonym: "human" EXACT genbank_common_name []\n'
        'synonym: "man" RELATED []\n\n[Typedef]\nid: part_of\nsynonym: "is part of" EXACT []\n'
    )
    assert rt.synonyms_in(obo, rt.Source("r", "p", "obo")) == {f"{rt.OBO}NCBITaxon_9606": {"human", "man"}}
    ofn = (
        'AnnotationAssertion(oboInOwl:hasExactSynonym obo:CL_0000623 "NK cell")\n'
        'AnnotationAssertion(Annotation(oboInOwl:hasDbXref "x") '
        'oboInOwl:hasRelatedSynonym obo:CL_0000623 "a \\"b\\"")\n'
        'AnnotationAssertion(rdfs:label obo:CL_0000623 "natural killer cell")\n'
    )
    assert rt.synonyms_in(ofn, rt.Source("r", "p", "ofn")) == {f"{rt.OBO}CL_0000623": {"NK cell", 'a "b"'}}
    assert rt.synonyms_in("iri\tlabel\n", rt.Source("r", "p", "tsv")) == {}


def test_checked_synonyms_are_synonyms_the_edit_file_gives() -> None:
    ours = rt.edit_synonyms(edit_graph(EDIT))
    for row in table():
        checked = {s for s in row["checked_synonyms"].split(" | ") if s}
        assert checked <= ours.get(row["iri"], set()), row["iri"]
