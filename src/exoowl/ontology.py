"""The release: ``ontology/exoowl.owl`` (RDF/XML) generated from the edit file."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.compare import to_isomorphic
from rdflib.namespace import OWL, RDF

from .errors import InputError
from .namespaces import ONTOLOGY_IRI, PREFIXES, version_iri
from .rdfio import parse_file


def ontology_version(edit: Graph, path: Path | str = "ontology") -> str:
    """The release date the editors set as ``owl:versionInfo`` on the ontology header."""
    versions = list(edit.objects(URIRef(ONTOLOGY_IRI), OWL.versionInfo))
    if len(versions) != 1:
        raise InputError(f"the ontology header needs exactly one owl:versionInfo (found {len(versions)})", path)
    return str(versions[0])


def release_graph(edit_file: Path) -> Graph:
    """The edit file plus the dated version IRI; what ``exoowl.owl`` holds."""
    edit = parse_file(edit_file, "turtle")
    ontology = URIRef(ONTOLOGY_IRI)
    if (ontology, RDF.type, OWL.Ontology) not in edit:
        raise InputError(f"no owl:Ontology header for <{ONTOLOGY_IRI}>", edit_file)
    release = Graph()
    for prefix, iri in PREFIXES.items():
        release.bind(prefix, iri)
    for triple in edit:
        release.add(triple)
    release.add((ontology, OWL.versionIRI, URIRef(version_iri(ontology_version(edit, edit_file)))))
    release.add((ontology, OWL.versionInfo, Literal(ontology_version(edit, edit_file))))
    return release


def write_release(release: Graph, path: Path) -> None:
    """Write the release as RDF/XML (what Protégé and the OWL API open), atomically."""
    tmp = path.with_suffix(".owl.tmp")
    tmp.write_text(release.serialize(format="xml"), encoding="utf-8")
    tmp.replace(path)


def release_is_current(edit_file: Path, release_file: Path) -> bool:
    """True when the committed release holds exactly what the edit file generates."""
    if not release_file.exists():
        return False
    committed = parse_file(release_file, "xml")
    same: bool = to_isomorphic(committed) == to_isomorphic(release_graph(edit_file))
    return same


if __name__ == "__main__":
    from .config import load_settings

    settings = load_settings()
    if release_is_current(settings.edit_file, settings.release_file):
        print(f"{settings.release_file} is current")
    else:
        write_release(release_graph(settings.edit_file), settings.release_file)
        print(f"wrote {settings.release_file}")
