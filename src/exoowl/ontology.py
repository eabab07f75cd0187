"""The release: ``ontology/exoowl.owl`` (RDF/XML) generated from the edit source (``exoowl-edit.ttl``: the
header, properties and disjointness; ``modules/*.ttl``: vesicles, cells, molecules, processes, diseases,
methods, findings, database records, imports) and the mapping set of exoowl classes to OBO terms
(``data/mappings/exoowl_obo.sssom.tsv``)."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import OWL, RDF

from .errors import InputError
from .namespaces import ONTOLOGY_IRI, PREFIXES, version_iri
from .rdfio import parse_file
from .vocabulary import NO_TERM, PREDICATES, expand, sssom_metadata

MAPPING_COLUMNS = (
    "subject_id",
    "subject_label",
    "predicate_id",
    "object_id",
    "object_label",
    "mapping_justification",
    "object_source_version",
    "comment",
)


def ontology_version(edit: Graph, path: Path | str = "ontology") -> str:
    """The release date the editors set as ``owl:versionInfo`` on the ontology header."""
    versions = list(edit.objects(URIRef(ONTOLOGY_IRI), OWL.versionInfo))
    if len(versions) != 1:
        raise InputError(f"the ontology header needs exactly one owl:versionInfo (found {len(versions)})", path)
    return str(versions[0])


def mapping_triples(path: Path) -> list[tuple[URIRef, URIRef, URIRef]]:
    """The mapping set's rows as SKOS mapping statements on the exoowl classes; a ``sssom:NoTermFound`` row
    (a term looked for and not found) states nothing. A malformed row is an InputError naming its line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    _, curie_map = sssom_metadata([line for line in lines if line.startswith("#")])
    body = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not body or tuple(body[0][1].split("\t")) != MAPPING_COLUMNS:
        raise InputError("the header row must be " + "\t".join(MAPPING_COLUMNS), path)
    triples = []
    for number, line in body[1:]:
        cells = dict(zip(MAPPING_COLUMNS, line.split("\t"), strict=False))
        if cells.get("predicate_id") not in PREDICATES:
            raise InputError(f"predicate_id must be one of {sorted(PREDICATES)}", path, line=number)
        if cells.get("object_id") == NO_TERM:
            continue
        subject, predicate, obj = (
            URIRef(expand(cells.get(column, ""), curie_map, path, number))
            for column in ("subject_id", "predicate_id", "object_id")
        )
        triples.append((subject, predicate, obj))
    return triples


def edit_files(edit_file: Path) -> list[Path]:
    """The edit file and its modules (``modules/*.ttl`` beside it), in the order they are merged."""
    return [edit_file, *sorted((edit_file.parent / "modules").glob("*.ttl"))]


def edit_graph(edit_file: Path) -> Graph:
    """The edit file and its modules as one graph."""
    edit = Graph()
    for path in edit_files(edit_file):
        edit += parse_file(path, "turtle")
    return edit


def release_graph(edit_file: Path, mapping_file: Path) -> Graph:
    """The edit file with its modules, the mappings and the dated version IRI; what ``exoowl.owl`` holds."""
    edit = edit_graph(edit_file)
    ontology = URIRef(ONTOLOGY_IRI)
    if (ontology, RDF.type, OWL.Ontology) not in edit:
        raise InputError(f"no owl:Ontology header for <{ONTOLOGY_IRI}>", edit_file)
    release = Graph()
    for prefix, iri in PREFIXES.items():
        release.bind(prefix, iri)
    for triple in edit:
        release.add(triple)
    for triple in mapping_triples(mapping_file):
        release.add(triple)
    release.add((ontology, OWL.versionIRI, URIRef(version_iri(ontology_version(edit, edit_file)))))
    release.add((ontology, OWL.versionInfo, Literal(ontology_version(edit, edit_file))))
    return release


def write_release(release: Graph, path: Path) -> None:
    """Write the release as RDF/XML (what Protégé and the OWL API open), atomically."""
    tmp = path.with_suffix(".owl.tmp")
    tmp.write_text(release.serialize(format="xml"), encoding="utf-8")
    tmp.replace(path)


def release_is_current(edit_file: Path, mapping_file: Path, release_file: Path) -> bool:
    """True when the committed release holds exactly what the edit file and the mappings generate."""
    if not release_file.exists():
        return False
    committed = parse_file(release_file, "xml")
    same: bool = to_isomorphic(committed) == to_isomorphic(release_graph(edit_file, mapping_file))
    return same


if __name__ == "__main__":
    from .config import load_settings

    settings = load_settings()
    if release_is_current(settings.edit_file, settings.ontology_mappings, settings.release_file):
        print(f"{settings.release_file} is current")
    else:
        write_release(release_graph(settings.edit_file, settings.ontology_mappings), settings.release_file)
        print(f"wrote {settings.release_file}")
