"""Derives ``data/mappings/reused_terms.tsv``: for every OBO term the edit file reuses (GO, CL, UBERON,
MONDO, NCBITaxon, SO, RO, IAO, CHMO, OBI, COB, BFO, ECO, UO), the label its source gives it, and which file of
which release or repository commit says so (CHEBI, PR and CLO labels, for the mapping set, as OBI and
CHMO import them). The tests check the edit file's labels against that table;
the project never reads the sources at run time. This is run once by hand, after ``fetch`` has brought
the sources' repositories into ``/work/.mirror`` (``owner+name/repo``, bare git directories):

    PYTHONPATH=src python -m exoowl.reused_terms /work/.mirror ../shared/reference \
        ontology/exoowl-edit.ttl data/mappings/reused_terms.tsv

Each prefix has its sources in order of preference; a term's row comes from the first one that has it,
and so do the edit file's synonyms of the term that the row records as checked.
A term that none of them holds is an error: a label we cannot check is not written down as checked.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import rdflib
from rdflib.namespace import RDFS

from .ontology import edit_graph

OBO = "http://purl.obolibrary.org/obo/"
COLUMNS = ("iri", "source_label", "ontology", "source", "path", "version", "checked_synonyms")
SYNONYM_PROPERTIES = ("hasExactSynonym", "hasRelatedSynonym", "hasNarrowSynonym", "hasBroadSynonym")
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
DERIVED_ON = "2026-12-04"
HEADER = f"""\
# Reused OBO terms of ontology/exoowl-edit.ttl and the labels their sources give them. Facts only
# (identifiers and labels); no definition is copied. Derived on {DERIVED_ON} by exoowl.reused_terms.
# source = the GitHub repository (owner/name) whose file holds the label, or 'reference' for the
# project's reference folder (../shared/reference, whose README names each file's origin);
# version = the repository commit the file was read at (its date after the space), or the release the
# reference file says it comes from; checked_synonyms = the edit file's synonyms of the term that the
# same source gives it too (any scope), separated by " | " (a synonym the source lacks is not ours to add).
"""


class SourceMissing(LookupError):
    """A reused term that none of its prefix's sources holds."""


@dataclass(frozen=True)
class Source:
    """A file that gives labels: ``kind`` is obo, ofn (OWL functional syntax), xml (RDF/XML), ttl or tsv
    (``id_column``/``label_column``, CURIEs, ``#`` comment lines)."""

    repo: str  # owner/name, or "reference"
    path: str
    kind: str
    version: str = ""  # for reference files: the release they were taken from
    id_column: str = "subject_id"
    label_column: str = "subject_label"


OBI_OBO = Source("obi-ontology/obi", "views/obi.obo", "obo")
CHMO_OBO = Source("rsc-ontologies/rsc-cmo", "chmo.obo", "obo")
SOURCES: dict[str, tuple[Source, ...]] = {
    "BFO": (  # BFO 2020's classes; 'has part' as RO's release carries it (BFO 2020 has temporalized relations)
        Source("BFO-ontology/BFO-2020", "21838-2/owl/bfo-core.ttl", "ttl"),
        Source("oborel/obo-relations", "ro.owl", "xml"),
    ),
    "CHEBI": (OBI_OBO, CHMO_OBO),  # the CHEBI terms OBI and CHMO import
    "CHMO": (CHMO_OBO,),
    "CLO": (OBI_OBO,),
    "CL": (Source("obophenotype/cell-ontology", "src/ontology/cl-edit.owl", "ofn"),),
    "COB": (OBI_OBO,),
    "GO": (
        Source(
            "reference",
            "go_terms_partial_2026.tsv",
            "tsv",
            "geneontology/go-ontology src/ontology/ld.txt and src/design_patterns/*.tsv (2020-09 to 2026-08)",
            "go_id",
            "label",
        ),
    ),
    "IAO": (
        Source("information-artifact-ontology/IAO", "src/ontology/iao-edit.owl", "xml"),
        Source("information-artifact-ontology/IAO", "iao.owl", "xml"),
    ),
    "MONDO": (
        Source("reference", "mondo_exactmatch_doid.sssom.tsv", "tsv", "mondo releases/2026-08-04"),
        Source("reference", "mondo_exactmatch_ncit.sssom.tsv", "tsv", "mondo releases/2026-08-04"),
    ),
    "NCBITaxon": (Source("geneontology/go-ontology", "src/ontology/imports/ncbitaxon_import.obo", "obo"), OBI_OBO),
    "ECO": (Source("evidenceontology/evidenceontology", "eco-basic.obo", "obo"),),
    "OBI": (OBI_OBO, Source("obi-ontology/obi", "src/ontology/obi-edit.owl", "xml")),  # properties: the edit file
    "PR": (OBI_OBO,),
    "RO": (Source("oborel/obo-relations", "ro.owl", "xml"),),
    "SO": (Source("The-Sequence-Ontology/SO-Ontologies", "Ontology_Files/so.obo", "obo"),),
    "UO": (Source("bio-ontology-research-group/unit-ontology", "uo.obo", "obo"),),
    "UBERON": (
        Source("obophenotype/uberon", "subsets/efo-slim.obo", "obo"),
        Source("obi-ontology/obi", "src/ontology/robot_outputs/UBERON_imports.owl", "xml"),
        Source("obophenotype/uberon", "src/mappings/biomappings.sssom.tsv", "tsv"),
        Source("obophenotype/uberon", "examples/pituitary.obo", "obo"),
    ),
}


def curie_to_iri(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return f"{OBO}{prefix}_{local}"


@dataclass(frozen=True)
class Reading:
    """What to read from a source: its labels or its synonyms (any scope), in each format."""

    obo: re.Pattern[str]  # a line of a [Term] stanza; group 1 is the value
    ofn: re.Pattern[str]  # an AnnotationAssertion line; group 1 the local id, group 2 the value
    rdf: tuple[str, ...]  # the properties that give the value
    table: bool  # whether a tsv source gives it (its label column)


def _unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\\\", "\\")


_OFN = r'^AnnotationAssertion\((?:Annotation\(.*?\) )*{} obo:(\w+) "((?:[^"\\]|\\.)*)"'
LABELS = Reading(re.compile(r"^name: (.*?)\s*$"), re.compile(_OFN.format("rdfs:label")), (str(RDFS.label),), True)
SYNONYMS = Reading(
    re.compile(r'^synonym: "((?:[^"\\]|\\.)*)" (?:EXACT|RELATED|NARROW|BROAD)\b'),
    re.compile(_OFN.format("oboInOwl:has(?:Exact|Related|Narrow|Broad)Synonym")),
    tuple(OBOINOWL + name for name in SYNONYM_PROPERTIES),
    False,
)


def _obo_values(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    """Values of [Term] stanzas' lines (a Typedef's id is often not a CURIE)."""
    in_term, term_id = False, ""
    for line in text.splitlines():
        if line.startswith("["):
            in_term, term_id = line.strip() == "[Term]", ""
        elif line.startswith("id: ") and in_term:
            term_id = line[4:].strip()
        elif (match := pattern.match(line)) and ":" in term_id:
            yield curie_to_iri(term_id), _unescape(match[1])


def _ofn_values(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[str, str]]:
    for line in text.splitlines():
        if match := pattern.match(line):
            yield OBO + match[1], _unescape(match[2])


def parsed(text: str, source: Source) -> str | rdflib.Graph:
    """An RDF source's text as a graph (parsed once for its labels and its synonyms); other kinds as text."""
    if source.kind in ("xml", "ttl"):
        return rdflib.Graph().parse(data=text, format=source.kind.replace("ttl", "turtle"))
    return text


def _rdf_values(graph: rdflib.Graph, properties: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for name in properties:
        for subject, value in graph.subject_objects(rdflib.URIRef(name)):
            yield str(subject), str(value)


def _tsv_labels(text: str, source: Source) -> Iterator[tuple[str, str]]:
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        yield curie_to_iri(row[source.id_column]), row[source.label_column]


def values_in(content: str | rdflib.Graph, source: Source, reading: Reading) -> Iterator[tuple[str, str]]:
    """(IRI, value) pairs of a source file's text (or its graph, see :func:`parsed`), as ``reading`` says."""
    if isinstance(content, str) and source.kind in ("xml", "ttl"):
        content = parsed(content, source)
    if isinstance(content, rdflib.Graph):
        return _rdf_values(content, reading.rdf)
    if source.kind == "obo":
        return _obo_values(content, reading.obo)
    if source.kind == "ofn":
        return _ofn_values(content, reading.ofn)
    return _tsv_labels(content, source) if reading.table else iter(())


def labels_in(content: str | rdflib.Graph, source: Source) -> dict[str, str]:
    """The labels a source file gives, by IRI (the first one when it gives several)."""
    found: dict[str, str] = {}
    for iri, label in values_in(content, source, LABELS):
        found.setdefault(iri, label)
    return found


def synonyms_in(content: str | rdflib.Graph, source: Source) -> dict[str, set[str]]:
    """The synonyms (any scope) a source file gives, by IRI; a table source gives none."""
    found: dict[str, set[str]] = {}
    for iri, synonym in values_in(content, source, SYNONYMS):
        found.setdefault(iri, set()).add(synonym)
    return found


def _git(mirrors: Path, repo: str, *args: str) -> str:
    git_dir = mirrors / repo.replace("/", "+") / "repo"
    done = subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True, text=True, check=True)
    return done.stdout


def read_source(source: Source, mirrors: Path, reference: Path) -> tuple[str, str]:
    """The source file's text and the version it was read at."""
    if source.repo == "reference":
        return (reference / source.path).read_text(encoding="utf-8"), source.version
    version = _git(mirrors, source.repo, "log", "-1", "--format=%H %cs", "HEAD").strip()
    return _git(mirrors, source.repo, "show", f"HEAD:{source.path}"), version


def reused_terms(edit_file: Path | rdflib.Graph) -> list[str]:
    """The OBO terms the edit file and its modules (or their graph) label (the terms they reuse), sorted."""
    graph = edit_file if isinstance(edit_file, rdflib.Graph) else edit_graph(edit_file)
    return sorted({str(s) for s in graph.subjects(RDFS.label) if str(s).startswith(OBO)})


def prefix_of(iri: str) -> str:
    return iri.removeprefix(OBO).rsplit("_", 1)[0]


def edit_synonyms(graph: rdflib.Graph) -> dict[str, set[str]]:
    """The synonyms (any scope) the edit file and its modules (their graph) give each reused OBO term."""
    found: dict[str, set[str]] = {}
    for name in SYNONYM_PROPERTIES:
        for subject, synonym in graph.subject_objects(rdflib.URIRef(OBOINOWL + name)):
            if str(subject).startswith(OBO):
                found.setdefault(str(subject), set()).add(str(synonym))
    return found


def derive(
    mirrors: Path, reference: Path, terms: Sequence[str], ours: dict[str, set[str]] | None = None
) -> list[tuple[str, ...]]:
    """One row per term: its source label, where it was read, and which of ``ours`` (the edit file's
    synonyms of the term) the same source gives too."""
    cache: dict[Source, tuple[dict[str, str], dict[str, set[str]], str]] = {}
    rows: list[tuple[str, ...]] = []
    for iri in terms:
        prefix = prefix_of(iri)
        for source in SOURCES.get(prefix, ()):
            if source not in cache:
                text, version = read_source(source, mirrors, reference)
                content = parsed(text, source)
                cache[source] = (labels_in(content, source), synonyms_in(content, source), version)
            labels, synonyms, version = cache[source]
            if iri in labels:
                checked = sorted((ours or {}).get(iri, set()) & synonyms.get(iri, set()))
                rows.append((iri, labels[iri], prefix.lower(), source.repo, source.path, version, " | ".join(checked)))
                break
        else:
            raise SourceMissing(f"{iri}: none of the sources for {prefix} has it")
    return rows


def render(rows: Sequence[tuple[str, ...]]) -> str:
    return HEADER + "\t".join(COLUMNS) + "\n" + "".join("\t".join(row) + "\n" for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("mirrors", type=Path, help="the folder of fetched repositories (/work/.mirror)")
    parser.add_argument("reference", type=Path, help="the reference folder (../shared/reference)")
    parser.add_argument("edit_file", type=Path, help="the ontology's edit file")
    parser.add_argument("out", type=Path, help="the table to write")
    args = parser.parse_args(argv)
    edit = edit_graph(args.edit_file)
    rows = derive(args.mirrors, args.reference, reused_terms(edit), edit_synonyms(edit))
    args.out.write_text(render(rows), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
