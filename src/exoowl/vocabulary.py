"""Mapping tables from the strings the EV databases write to ontology terms.

Each table is an SSSOM mapping set of literal subjects (``data/mappings/vocabulary/NAME.sssom.tsv``):
``#`` metadata lines (YAML: ``curie_map``, ``mapping_set_id``, ``mapping_set_version``, ``subject_type:
rdfs literal`` …), then a header and one row per (string, term): ``subject_label`` is the string as a
download writes it, ``predicate_id`` how the term relates to it (``skos:exactMatch``, or
``skos:broadMatch`` when the term is broader than the string), ``object_id`` the term (a CURIE of the
file's ``curie_map`` or of ``namespaces.PREFIXES``), ``object_label`` the term's label in its source,
``mapping_justification`` (semapv) and ``comment``. A string judged to have no term has one row with
``object_id`` ``sssom:NoTermFound``; a string with several terms has several rows.

Strings are matched after trimming, collapsing white space and case folding (``Western Blotting`` and
``Western blotting `` are one string); a stray carriage return counts as white space."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .namespaces import PREFIXES

NO_TERM = "sssom:NoTermFound"
TYPING_PREDICATES = frozenset({"skos:exactMatch", "skos:broadMatch"})  # the string's meaning is the term or under it
PREDICATES = TYPING_PREDICATES | {"skos:narrowMatch", "skos:closeMatch", "skos:relatedMatch"}
COLUMNS = ("subject_label", "predicate_id", "object_id", "object_label", "mapping_justification", "comment")
OBO_PREFIXES = (
    "NCBITaxon",
    "UBERON",
    "CL",
    "GO",
    "OBI",
    "CHMO",
    "MONDO",
    "DOID",
    "ECO",
    "SO",
    "CHEBI",
    "PR",
    "IAO",
    "RO",
)
KNOWN_PREFIXES = {
    **PREFIXES,
    **{p: f"http://purl.obolibrary.org/obo/{p}_" for p in OBO_PREFIXES},
    "CVCL": "https://www.cellosaurus.org/CVCL_",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "sssom": "https://w3id.org/sssom/",
}


NAME_PREDICATES = (  # the names an entity is looked up by, whole and case-insensitively (exoowl:nameKey)
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "https://w3id.org/exoowl/ontology/mirbaseName",
    "https://w3id.org/exoowl/ontology/nameInReview",
    "http://www.geneontology.org/formats/oboInOwl#hasExactSynonym",
    "http://www.geneontology.org/formats/oboInOwl#hasRelatedSynonym",
)
NAME_KEY = "https://w3id.org/exoowl/ontology/nameKey"


def name_key(name: str) -> str:
    """An entity name's lookup key (exoowl:nameKey): lower case, as SPARQL's LCASE makes it, so that
    a name is found by an index lookup instead of by lower-casing every name in the store."""
    return name.lower()


def key(text: str) -> str:
    """The form in which strings are compared."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Term:
    iri: str
    curie: str
    label: str
    predicate: str

    @property
    def types(self) -> bool:
        """Whether a thing reported with the string is an instance of the term."""
        return self.predicate in TYPING_PREDICATES


@dataclass
class Vocabulary:
    """One mapping table: string key → its terms (empty: judged to have none)."""

    name: str
    version: str
    path: Path
    terms: dict[str, tuple[Term, ...]] = field(default_factory=dict)

    def lookup(self, text: str) -> tuple[Term, ...] | None:
        """The string's terms; () when the table says it has none; None when the table lacks it."""
        return self.terms.get(key(text))


def sssom_metadata(lines: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The simple ``key: value`` metadata and the ``curie_map`` of an SSSOM header."""
    meta: dict[str, str] = {}
    curie_map: dict[str, str] = {}
    in_map = False
    for line in lines:
        text = line[1:].rstrip()
        nested = re.match(r"^\s{2,}([A-Za-z_][\w.-]*):\s*(\S+)\s*$", text)
        if in_map and nested:
            curie_map[nested.group(1)] = nested.group(2)
            continue
        top = re.match(r"^([A-Za-z_]\w*):\s*(.*)$", text.strip())
        in_map = bool(top and top.group(1) == "curie_map" and not top.group(2))
        if top and not in_map:
            meta[top.group(1)] = top.group(2).strip().strip('"')
    return meta, curie_map


def expand(curie: str, curie_map: dict[str, str], path: Path, line: int) -> str:
    prefix, sep, local = curie.partition(":")
    namespace = curie_map.get(prefix) or KNOWN_PREFIXES.get(prefix)
    if not sep or namespace is None or not local or any(c in local for c in ' <>"{}|\\^`'):
        raise InputError(f"{curie!r} is not a CURIE with a known prefix", path, line=line)
    return namespace + local


def load(path: Path) -> Vocabulary:
    """Read one mapping table, checking its shape (a malformed table is an InputError naming the line)."""
    text = path.read_text(encoding="utf-8").splitlines()
    header_lines = [line for line in text if line.startswith("#")]
    meta, curie_map = sssom_metadata(header_lines)
    if meta.get("subject_type") != "rdfs literal":
        raise InputError("the mapping set's subject_type must be 'rdfs literal'", path)
    version = meta.get("mapping_set_version", "")
    if not version:
        raise InputError("the mapping set has no mapping_set_version", path)
    body = [(n, line) for n, line in enumerate(text, 1) if line and not line.startswith("#")]
    if not body or tuple(body[0][1].split("\t")) != COLUMNS:
        raise InputError("the header row must be " + "\t".join(COLUMNS), path)
    vocabulary = Vocabulary(path.name.removesuffix(".sssom.tsv"), version, path)
    judged_empty: set[str] = set()
    for number, line in body[1:]:
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            raise InputError(f"{len(cells)} cells where the header has {len(COLUMNS)}", path, line=number)
        subject, predicate, object_id, object_label = (c.strip() for c in cells[:4])
        if not subject:
            raise InputError("empty subject_label", path, line=number)
        terms = vocabulary.terms.setdefault(key(subject), ())
        if object_id == NO_TERM or key(subject) in judged_empty:
            if terms or object_id != NO_TERM:
                raise InputError(f"{subject!r} has terms and also {NO_TERM}", path, line=number)
            judged_empty.add(key(subject))
            continue
        if predicate not in PREDICATES:
            allowed = ", ".join(sorted(PREDICATES))
            raise InputError(f"predicate {predicate!r} is not one of {allowed}", path, line=number)
        if not object_label:
            raise InputError(f"{object_id} has no object_label", path, line=number)
        term = Term(expand(object_id, curie_map, path, number), object_id, object_label, predicate)
        vocabulary.terms[key(subject)] = (*terms, term)
    return vocabulary


def load_all(directory: Path) -> dict[str, Vocabulary]:
    """Every mapping table of a directory, by name (file name without ``.sssom.tsv``)."""
    return {v.name: v for v in (load(p) for p in sorted(directory.glob("*.sssom.tsv")))}


@dataclass(frozen=True)
class Disease:
    curie: str  # MONDO:0000000
    label: str


def load_cell_line_diseases(path: Path) -> dict[str, Disease]:
    """``data/mappings/cell_line_diseases.tsv``: a cancer cell line's disease (DepMap's, as a MONDO
    term), by Cellosaurus accession (``CVCL_0062``); empty when the file is absent."""
    if not path.is_file():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    header = lines[0].split("\t") if lines else []
    if not {"cellosaurus_accession", "mondo_id", "mondo_label"} <= set(header):
        raise InputError("the header must have cellosaurus_accession, mondo_id and mondo_label", path)
    diseases: dict[str, Disease] = {}
    for number, line in enumerate(lines[1:], 2):
        row = dict(zip(header, line.split("\t"), strict=False))
        if row.get("mondo_id", "").startswith("MONDO:"):
            diseases[row["cellosaurus_accession"].replace(":", "_")] = Disease(
                row["mondo_id"], row.get("mondo_label", "")
            )
        elif row.get("mondo_id"):
            raise InputError(f"{row['mondo_id']!r} is not a MONDO CURIE", path, line=number)
    return diseases
