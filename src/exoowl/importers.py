"""Importers of the ExoCarta and Vesiclepedia downloads: each record becomes a cargo observation
(or an experiment) in one named graph per source and file kind, replaced atomically.

Reading streams: rows are read one at a time and written as N-Quads to a scratch file beside the
store, so memory stays bounded whatever the file size (only the set of genes and experiments
seen is kept). The scratch file is then bulk-loaded into a checkpoint copy of the committed store
holding the store's write lock, and the copy is committed as a build is: a failed or killed
import never leaves a half-imported graph. Bad rows are reported with their line numbers and
counted; what was normalised (content-type spellings, species names, PubMed IDs of 0) is counted.

File layouts (``../shared/reference/README.md`` §4 describes them; the ExoCarta 5 protein/mRNA file
there is real, the others follow third-party descriptions):

- cargo (protein/mRNA details): CONTENT ID, CONTENT TYPE, ENTREZ GENE ID, GENE SYMBOL, SPECIES,
  EXPERIMENT ID, METHODS (``|``-separated);
- miRNA details: MIRNA ID and SPECIES, with CONTENT ID, EXPERIMENT ID and METHODS when present;
- experiment details: EXPERIMENT ID, PUBMED ID (0 = none), SPECIES (``|``-separated), SAMPLE,
  and for Vesiclepedia VESICLE TYPE (``/``-separated).

Tab- or comma-separated, as released; the header row decides which.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import pyoxigraph as ox

from .config import default_root
from .downloads import GPAD, clean, open_download
from .errors import InputError, StoreError, UsageError
from .mirbase import AMBIGUOUS_ARM, MiRBase, Resolution
from .mirbase import TABLE as MIRBASE_TABLE
from .mirbase import load as load_mirbase
from .misev import GRAPH_MISEV, graph_experiments, reassess
from .namespaces import EXOID, EXOOWL, IMPORT_GRAPHS, OBO
from .remote import RemoteStore
from .service import internal_query
from .store import Store, StoreLocation, StoreProtocol
from .vocabulary import NAME_KEY, Disease, Term, Vocabulary, key, load_all, load_cell_line_diseases, name_key
from .write import disk_problem, transaction

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SEE_ALSO = "<http://www.w3.org/2000/01/rdf-schema#seeAlso>"
RDFS_COMMENT = "<http://www.w3.org/2000/01/rdf-schema#comment>"
RELATED_SYNONYM = "<http://www.geneontology.org/formats/oboInOwl#hasRelatedSynonym>"
XSD_DATE = "<http://www.w3.org/2001/XMLSchema#date>"
XSD_INTEGER = "<http://www.w3.org/2001/XMLSchema#integer>"
MAPPINGS = default_root() / "data" / "mappings"
REJECTED_SHARE = 0.01  # more of the rows than this rejected: the import fails and nothing changes
IN_TAXON = f"<{OBO}RO_0002162>"
GENE_PRODUCT_OF = f"<{OBO}RO_0002204>"  # RO 'gene product of'
BAD_ROWS_KEPT = 50
ProgressCallback = Callable[[int, int, int], None]  # records, characters read, file size


@dataclass(frozen=True)
class Source:
    name: str
    label: str
    gene_page: str  # the database's gene page, by NCBI Gene ID


SOURCES = {
    "exocarta": Source("exocarta", "ExoCarta", "http://exocarta.org/gene_summary?gene_id={}"),
    # The Vesiclepedia page pattern is inferred from ExoCarta's (the reference notes found none).
    "vesiclepedia": Source("vesiclepedia", "Vesiclepedia", "http://microvesicles.org/gene_summary?gene_id={}"),
}

# Taxa: 9606 and 10090 from miRBase v22's taxon_id column (../shared/reference); 10116 and 9913
# confirmed in public species-to-NCBITaxon maps. Other species keep their name only.
TAXA = {
    "homo sapiens": ("Homo sapiens", "9606"),
    "mus musculus": ("Mus musculus", "10090"),
    "rattus norvegicus": ("Rattus norvegicus", "10116"),
    "bos taurus": ("Bos taurus", "9913"),
}
SPECIES_ALIASES = {
    "human": "homo sapiens",
    "h. sapiens": "homo sapiens",
    "mouse": "mus musculus",
    "m. musculus": "mus musculus",
    "rat": "rattus norvegicus",
    "bovine": "bos taurus",
    "cow": "bos taurus",
}
CONTENT_TYPES = {
    t.lower(): t
    for t in (
        "protein",
        "mRNA",
        "miRNA",
        "snoRNA",
        "tRNA",
        "snRNA",
        "rRNA",
        "scaRNA",
        "lincRNA",
        "lncRNA",
        "ncRNA",
        "pseudogene",
        "vtRNA",
        "yRNA",
        "lipid",
        "DNA",
    )
}


@dataclass
class ImportReport:
    source: str
    kind: str
    path: Path
    graph: str
    records: int = 0
    triples: int = 0
    bad_rows: int = 0
    bad_examples: list[tuple[int, str]] = field(default_factory=list)
    normalised: Counter[str] = field(default_factory=Counter)
    mapped: Counter[str] = field(default_factory=Counter)  # column → values that reached a term
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column, string) → values
    verbatim: Counter[str] = field(default_factory=Counter)  # column kept verbatim → cells
    misev_triples: int = 0  # the MISEV graph's size after the import (exoowl.misev)
    seconds: dict[str, float] = field(default_factory=dict)
    build: Path | None = None

    def coverage(self) -> dict[str, tuple[int, int]]:
        """Per mapped column: (values that reached a term, all values)."""
        columns = set(self.mapped) | {column for column, _ in self.unmapped}
        missing: Counter[str] = Counter()
        for (column, _), count in self.unmapped.items():
            missing[column] += count
        return {c: (self.mapped[c], self.mapped[c] + missing[c]) for c in sorted(columns)}

    def bad(self, line: int, reason: str) -> None:
        self.bad_rows += 1
        if len(self.bad_examples) < BAD_ROWS_KEPT:
            self.bad_examples.append((line, reason))


def import_graph(source: str, kind: str) -> str:
    return f"{IMPORT_GRAPHS}{source}/{kind}"


# N-Quads terms ---------------------------------------------------------------------------------
def _iri(value: str) -> str:
    return f"<{value}>"


def _id(path: str) -> str:
    return _iri(f"{EXOID}{path}")


def _lit(text: str, datatype: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"' + (f"^^{datatype}" if datatype else "")


def _slug(text: str) -> str:
    return quote(text.strip(), safe="")


def _o(local: str) -> str:
    return _iri(f"{EXOOWL}{local}")


# normalising -----------------------------------------------------------------------------------
class Normaliser:
    def __init__(self, report: ImportReport, species_table: Vocabulary | None = None) -> None:
        self.report, self.species_table = report, species_table

    def content_type(self, raw: str) -> str:
        value = raw.strip()
        canonical = CONTENT_TYPES.get(value.lower())
        if canonical is None:
            self.report.normalised[f"content type {value!r} kept as written (not a known type)"] += 1
            return value
        if canonical != value:
            self.report.normalised[f"content type {value!r} → {canonical!r}"] += 1
        return canonical

    def species(self, raw: str) -> tuple[str, str | None]:
        """(normalised name, NCBI taxon number or None): the species table's NCBITaxon term, else a
        few common names."""
        value = " ".join(raw.split())
        if not value:
            return value, None
        for term in (self.species_table.lookup(value) or ()) if self.species_table else ():
            if term.iri.startswith(f"{OBO}NCBITaxon_"):
                self.report.mapped["SPECIES"] += 1
                if term.label != value:
                    self.report.normalised[f"species {value!r} → {term.label!r}"] += 1
                return term.label, term.iri.removeprefix(f"{OBO}NCBITaxon_")
        self.report.unmapped[("SPECIES", value)] += 1
        key = SPECIES_ALIASES.get(value.lower(), value.lower())
        if key in TAXA:
            name, taxon = TAXA[key]
            if name != value:
                self.report.normalised[f"species {value!r} → {name!r}"] += 1
            return name, taxon
        if value != raw:
            self.report.normalised[f"species {raw!r} → {value!r} (spaces)"] += 1
        return value, None

    def pubmed(self, raw: str) -> str | None:
        value = raw.strip()
        if not value or value == "0":  # a 0 is already counted as a missing value when the cell was cleaned
            return None
        if not value.isdigit():
            self.report.normalised[f"PubMed ID {value!r} is not a number: left out"] += 1
            return None
        return value


# records → N-Quads -----------------------------------------------------------------------------
class BadRow(Exception):
    """A row that cannot be imported; the message is the reason reported with its line."""


@dataclass
class Lookups:
    """What an import reads besides the file: the store's curated genes (N-Triples IRIs) and miRNA
    labels (lower case → IRI), the mapping tables, and the miRBase names."""

    curated_genes: set[str] = field(default_factory=set)
    curated_mirnas: dict[str, str] = field(default_factory=dict)
    vocabularies: dict[str, Vocabulary] = field(default_factory=dict)
    specimen_classes: set[str] = field(default_factory=set)  # IRIs of exoowl:Specimen and its subclasses
    curated_cancers: dict[str, str] = field(default_factory=dict)  # MONDO CURIE → the curated cancer's IRI
    cell_line_diseases: dict[str, Disease] = field(default_factory=dict)  # CVCL_0000 → its cancer
    mirbase: MiRBase | None = None  # miRBase v22 names: miRNA records resolved to MIMAT accessions
    curated_mirna_nodes: set[str] = field(default_factory=set)  # the curated miRNAs' IRIs


class Emitter:
    """Writes one graph's N-Quads; remembers which genes, experiments and shared nodes it already
    described, and counts how the mapped columns' values reached a term."""

    def __init__(self, out: TextIO, graph: str, source: Source, file_node: str, lookups: Lookups, report: ImportReport):
        self.out, self.graph, self.source, self.file_node = out, _iri(graph), source, file_node
        self.lookups, self.report = lookups, report
        self.genes: set[str] = set()
        self.mirnas: dict[str, str] = {}  # lower-case name and species → node
        self.experiments: set[str] = set()
        self.described: set[str] = set()  # shared nodes (methods, lipids, cell lines) described already
        self.resolutions: dict[str, Resolution] = {}  # miRNA name and taxon → its resolution
        self.triples = 0

    def quad(self, s: str, p: str, o: str) -> None:
        self.out.write(f"{s} {p} {o} {self.graph} .\n")
        self.triples += 1

    def name(self, node: str, predicate: str, name: str) -> None:
        """A name of a gene or miRNA (label, miRBase name, synonym) and its lookup key."""
        self.quad(node, predicate, _lit(name))
        self.quad(node, _iri(NAME_KEY), _lit(name_key(name)))

    def first_time(self, node: str) -> bool:
        if node in self.described:
            return False
        self.described.add(node)
        return True

    def terms(self, column: str, table: str, value: str) -> tuple[Term, ...]:
        """The terms a mapping table gives a cell value (none when it lacks one), counted per column."""
        vocabulary = self.lookups.vocabularies.get(table)
        found = vocabulary.lookup(value) if vocabulary else None
        if found:
            self.report.mapped[column] += 1
        else:
            self.report.unmapped[(column, " ".join(value.split()))] += 1
        return found or ()

    def species(self, node: str, name: str, taxon: str | None) -> None:
        if taxon:
            self.quad(node, IN_TAXON, _iri(f"{OBO}NCBITaxon_{taxon}"))
        elif name:
            self.quad(node, _o("speciesAsReported"), _lit(name))

    def gene(self, gene_id: str, symbol: str, name: str, taxon: str | None) -> str:
        node = _id(f"gene/{gene_id}")
        if gene_id in self.genes:
            return node
        self.genes.add(gene_id)
        self.quad(node, SEE_ALSO, _iri(self.source.gene_page.format(gene_id)))
        if node in self.lookups.curated_genes:
            return node  # the curated gene: its label and identifiers are the review's
        self.quad(node, RDF_TYPE, _o("Gene"))
        self.quad(node, _o("ncbiGeneId"), _lit(gene_id))
        self.quad(node, SEE_ALSO, _iri(f"https://www.ncbi.nlm.nih.gov/gene/{gene_id}"))
        if symbol:
            self.name(node, RDFS_LABEL, symbol)
        self.species(node, name, taxon)
        return node

    def mirna(self, name: str, species: str, taxon: str | None) -> str:
        """The miRNA a record names: the mature miRNA of its miRBase v22 accession (the curated
        node for the same accession), else the curated miRNA of that label, else one node per name
        and species."""
        resolution = self.resolve_mirna(name, taxon)
        if resolution.accession:
            self.report.mapped["MIRNA ID"] += 1
            return self.mature_mirna(resolution)
        self.report.unmapped[("MIRNA ID", f"{name} ({resolution.reason})")] += 1
        if resolution.reason == AMBIGUOUS_ARM and len(resolution.precursors) == 1:
            self.report.normalised["miRNA named by its two-armed precursor: linked to the precursor (MI)"] += 1
            return self.mirna_precursor(resolution)
        known = self.lookups.curated_mirnas.get(name.lower())
        if known:
            return _iri(known)
        scope = taxon or species.lower()
        node = self.mirnas.get(f"{name.lower()} {scope}")
        if node is None:  # one node per name and species: miR-21 and MIR-21 of one species are one miRNA
            local = f"{self.source.name}/mirna/{_slug(name)}" + (f"/{_slug(scope)}" if scope else "")
            node = self.mirnas[f"{name.lower()} {scope}"] = _id(local)
            self.quad(node, RDF_TYPE, _o("MicroRNA"))
            self.name(node, RDFS_LABEL, name)
            self.species(node, species, taxon)
        return node

    def resolve_mirna(self, name: str, taxon: str | None) -> Resolution:
        cache_key = f"{name}\t{taxon}"
        found = self.resolutions.get(cache_key)
        if found is None:
            mirbase = self.lookups.mirbase
            found = mirbase.resolve(name, taxon) if mirbase else Resolution(name, taxon, reason="no miRBase table")
            self.resolutions[cache_key] = found
        return found

    def mature_mirna(self, resolution: Resolution) -> str:
        accession = resolution.accession or ""
        node = _id(f"mirna/{accession}")
        if node[1:-1] not in self.lookups.curated_mirna_nodes and self.first_time(node):
            label = resolution.name_v22 or accession
            self.mirbase_entry(node, "MicroRNA", label, ("mirbaseAccession", "mature", accession), resolution.taxon)
            self.name(node, _o("mirbaseName"), resolution.name_v22 or "")
        return node

    def mirna_precursor(self, resolution: Resolution) -> str:
        """The miRBase hairpin a record names when it does not say which mature arm it found."""
        (accession,) = resolution.precursors
        node = _id(f"mirna-precursor/{accession}")
        if self.first_time(node):
            label = resolution.query or resolution.name
            entry = ("mirbasePrecursorAccession", "hairpin", accession)
            self.mirbase_entry(node, "MicroRNAPrecursor", label, entry, resolution.taxon)
        return node

    def mirbase_entry(self, node: str, kind: str, label: str, entry: tuple[str, str, str], taxon: str | None) -> None:
        """A miRBase entry's node: its type, label, accession (property, miRBase page kind, accession),
        taxon and miRBase page."""
        predicate, page, accession = entry
        self.quad(node, RDF_TYPE, _o(kind))
        self.name(node, RDFS_LABEL, label)
        self.quad(node, _o(predicate), _lit(accession))
        if taxon:
            self.quad(node, IN_TAXON, _iri(f"{OBO}NCBITaxon_{taxon}"))
        self.quad(node, SEE_ALSO, _iri(f"https://www.mirbase.org/{page}/{accession}"))

    def named(self, kind: str, name: str, types: list[str]) -> str:
        """A node shared by the rows naming the same thing the same way (a lipid, a method as the
        database writes it), described once with its label and types."""
        node = _id(f"{self.source.name}/{kind}/{_slug(key(name))}")
        if self.first_time(node):
            for kind_iri in dict.fromkeys(types):
                self.quad(node, RDF_TYPE, _iri(kind_iri))
            self.quad(node, RDFS_LABEL, _lit(name))
        return node

    def method(self, column: str, value: str, fallback: str) -> str:
        types = [t.iri for t in self.terms(column, METHOD_TABLES[column], value) if t.types]
        return self.named("method", value, types or [f"{EXOOWL}{fallback}"])

    def experiment(self, experiment_id: str) -> str:
        node = _id(f"{self.source.name}/experiment/{_slug(experiment_id)}")
        if experiment_id not in self.experiments:
            self.experiments.add(experiment_id)
            self.quad(node, RDF_TYPE, _o("EVExperiment"))
            self.quad(node, _o("recordId"), _lit(experiment_id))
            self.quad(node, _o("listedInDatabase"), _id(f"database/{self.source.name}"))
        return node

    def observation(
        self, kind: str, record_id: str, molecule: str, content_type: str, row: Row, species: tuple[str, str | None]
    ) -> str:
        node = _id(f"{self.source.name}/{kind}/{_slug(record_id)}")
        self.quad(node, RDF_TYPE, _o("CargoObservation"))
        self.species(node, *species)
        self.quad(node, _o("recordId"), _lit(record_id))
        self.quad(node, _o("observedMolecule"), molecule)
        self.quad(node, _o("contentType"), _lit(content_type))
        experiment_id = row.get("EXPERIMENT ID")
        if experiment_id:
            self.quad(node, _o("inExperiment"), self.experiment(experiment_id))
        for method in row.many("METHODS"):
            self.quad(node, _o("detectionMethod"), _lit(method))
            self.quad(node, _o("identifiedWith"), self.method("METHODS", method, "CharacterizationMethod"))
        self.quad(node, _o("importedFrom"), self.file_node)
        return node

    def cell_line(self, term: Term) -> str:
        """The cell line node of a Cellosaurus term (the curated data's node for the same line)."""
        accession = term.iri.rsplit("/", 1)[-1]
        node = _id(f"cell-line/{accession}")
        if self.first_time(node):
            self.quad(node, RDF_TYPE, _o("CellLine"))
            self.quad(node, RDFS_LABEL, _lit(term.label))
            self.quad(node, _o("cellosaurusId"), _lit(accession))
            self.quad(node, SEE_ALSO, _iri(term.iri))
            disease = self.lookups.cell_line_diseases.get(accession)
            if disease:
                self.quad(node, _o("hasCancerOfOrigin"), self.cancer(disease.curie, disease.label))
        return node

    def cancer(self, curie: str, label: str) -> str:
        """The cancer of a MONDO term: the curated one, or one described here once."""
        curated = self.lookups.curated_cancers.get(curie)
        if curated:
            return _iri(curated)
        node = _id(f"cancer/{curie.replace(':', '_')}")
        if self.first_time(node):
            self.quad(node, RDF_TYPE, _o("Cancer"))
            self.quad(node, RDF_TYPE, _iri(f"{OBO}{curie.replace(':', '_')}"))
            self.quad(node, RDFS_LABEL, _lit(label))
            self.quad(node, _o("mondoId"), _lit(curie))
        return node

    def literals(self, node: str, row: Row, columns: dict[str, str]) -> None:
        """The non-empty cells of ``columns`` (column → exoowl property) as literals of ``node``."""
        for column, predicate in columns.items():
            if row.get(column):
                self.quad(node, _o(predicate), _lit(row.get(column)))

    def verbatim(self, node: str, column: str, value: str) -> None:
        cell = _iri(f"{node[1:-1]}/cell/{_slug(column)}")
        self.quad(node, _o("hasVerbatimCell"), cell)
        self.quad(cell, RDF_TYPE, _o("VerbatimCell"))
        self.quad(cell, _o("columnName"), _lit(column))
        self.quad(cell, _o("verbatimValue"), _lit(value))


METHOD_TABLES = {"METHODS": "identification-methods", "ISOLATION METHOD": "isolation-methods"}


class SeenIds:
    """Record IDs met so far, in bounded memory for the numeric IDs the downloads use (one bit each);
    other IDs are kept in a set."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.others: set[str] = set()

    def __contains__(self, key: str) -> bool:
        if key.isdigit() and len(key) < 12:
            n = int(key)
            return n // 8 < len(self.bits) and bool(self.bits[n // 8] & (1 << (n % 8)))
        return key in self.others

    def add(self, key: str) -> None:
        if key.isdigit() and len(key) < 12:
            n = int(key)
            if n // 8 >= len(self.bits):
                self.bits.extend(bytes(max(n // 8 + 1 - len(self.bits), len(self.bits))))
            self.bits[n // 8] |= 1 << (n % 8)
        else:
            self.others.add(key)


@dataclass
class Row:
    """One data row, its cells cleaned (trimmed, missing values empty), and the columns read so far."""

    line: int
    values: dict[str, str]
    read: set[str] = field(default_factory=set)

    def get(self, key: str) -> str:
        self.read.add(key)
        return self.values.get(key, "")

    def required(self, key: str) -> str:
        """A cell that must not be empty (else the row is bad)."""
        value = self.get(key)
        if not value:
            raise BadRow(f"no {key}")
        return value

    def many(self, key: str, separators: str = "|") -> list[str]:
        """A multi-valued cell's values, in order, each once."""
        text = self.get(key)
        for separator in separators[1:]:
            text = text.replace(separator, separators[0])
        return list(dict.fromkeys(v.strip() for v in text.split(separators[0]) if v.strip()))


def _species(row: Row, norm: Normaliser) -> tuple[str, str | None]:
    return norm.species(row.get("SPECIES"))


def _gene_of(row: Row, emit: Emitter, species: tuple[str, str | None]) -> str:
    gene_id = row.get("ENTREZ GENE ID")
    if not gene_id.isdigit():
        raise BadRow(f"ENTREZ GENE ID {gene_id!r} is not an NCBI Gene ID" if gene_id else "no ENTREZ GENE ID")
    return emit.gene(gene_id, row.get("GENE SYMBOL"), *species)


def _cargo(row: Row, emit: Emitter, norm: Normaliser) -> str:
    """One protein/mRNA record."""
    record_id = row.required("CONTENT ID")
    species = _species(row, norm)
    gene = _gene_of(row, emit, species)
    return emit.observation("cargo", record_id, gene, norm.content_type(row.get("CONTENT TYPE")), row, species)


def _mirna(row: Row, emit: Emitter, norm: Normaliser) -> str:
    name = row.required("MIRNA ID")
    gene_id = row.get("ENTREZ GENE ID")
    if gene_id and not gene_id.isdigit():
        raise BadRow(f"Entrez GENE ID {gene_id!r} is not an NCBI Gene ID")
    record_id = row.get("CONTENT ID") or f"line-{row.line}"
    species = _species(row, norm)
    molecule = emit.mirna(name, *species)
    content = norm.content_type(row.get("CONTENT TYPE") or "miRNA")
    node = emit.observation("mirna", record_id, molecule, content, row, species)
    gene = emit.gene(gene_id, "", *species) if gene_id else ""
    if gene and emit.first_time(f"{molecule} {gene}"):
        emit.quad(molecule, GENE_PRODUCT_OF, gene)
    if row.get("COMMENTS"):
        emit.quad(node, RDFS_COMMENT, _lit(row.get("COMMENTS")))
    return node


def _lipid(row: Row, emit: Emitter, norm: Normaliser) -> str:
    record_id, name = row.required("CONTENT ID"), row.required("LIPID ID")
    lipid = emit.named("lipid", name, [f"{EXOOWL}Lipid"])
    content = norm.content_type(row.get("CONTENT TYPE") or "lipid")
    return emit.observation("lipid", record_id, lipid, content, row, _species(row, norm))


def _ptm(row: Row, emit: Emitter, norm: Normaliser) -> str:
    record_id = row.required("PTM ID")
    site = row.get("PTM SITE")
    if site and not site.isdigit():
        raise BadRow(f"PTM SITE {site!r} is not a sequence position")
    species = _species(row, norm)
    gene = _gene_of(row, emit, species)
    node = emit.observation("ptm", record_id, gene, "protein", row, species)
    if site:
        emit.quad(node, _o("modificationSite"), _lit(site, XSD_INTEGER))
    columns = {"PTM RESIDUE": "modifiedResidue", "PTM TYPE": "modificationType"}
    emit.literals(node, row, {**columns, "SEQUENCE ACCESSION IDENTIFIER": "sequenceAccession"})
    return node


def _genes(row: Row, emit: Emitter, norm: Normaliser) -> str:
    node = _gene_of(row, emit, _species(row, norm))
    emit.literals(node, row, {"PRIMARY ID": "recordId", "GENE NAME": "geneName", "HGNC": "hgncId", "MIM": "mimId"})
    for synonym in row.many("SYNONYMS"):
        emit.name(node, RELATED_SYNONYM, synonym)
    emit.quad(node, _o("importedFrom"), emit.file_node)
    return node


def _experiment(row: Row, emit: Emitter, norm: Normaliser) -> str:
    experiment_id = row.required("EXPERIMENT ID")
    node = emit.experiment(experiment_id)
    pubmed = norm.pubmed(row.get("PUBMED ID"))
    if pubmed:
        emit.quad(node, _o("pubmedId"), _lit(pubmed))
        emit.quad(node, SEE_ALSO, _iri(f"https://pubmed.ncbi.nlm.nih.gov/{pubmed}/"))
    for species in row.many("SPECIES"):
        emit.species(node, *norm.species(species))
    year = row.get("YEAR")
    if year.isdigit() and len(year) == 4:
        emit.quad(node, _o("publicationYear"), _lit(year, XSD_INTEGER))
    elif year:
        norm.report.normalised[f"YEAR {year!r} is not a year: left out"] += 1
    emit.literals(
        node,
        row,
        {
            "EXPERIMENT DESCRIPTION": "descriptionAsReported",
            "SAMPLE": "sampleAsReported",
            "SAMPLE NAME": "sampleNameAsReported",
        },
    )
    _sample(row, emit, node)
    for value in row.many("IDENTIFICATIONS"):
        emit.quad(node, _o("identificationsAsReported"), _lit(value))
        emit.terms("IDENTIFICATIONS", "identifications", value)
    for value in row.many("METHODS"):
        emit.quad(node, _o("identificationMethodAsReported"), _lit(value))
        emit.quad(node, _o("identifiedWith"), emit.method("METHODS", value, "CharacterizationMethod"))
    for value in row.many("ISOLATION METHOD"):
        emit.quad(node, _o("isolationMethodAsReported"), _lit(value))
        emit.quad(node, _o("isolatedWith"), emit.method("ISOLATION METHOD", value, "IsolationMethod"))
    for value in row.many("VESICLE TYPE", "/|"):
        emit.quad(node, _o("vesicleTypeAsReported"), _lit(value))
        vesicle = _iri(f"{node[1:-1]}/vesicle/{_slug(key(value))}")
        emit.quad(node, _o("studiesVesicle"), vesicle)
        types = [t.iri for t in emit.terms("VESICLE TYPE", "vesicle-types", value) if t.types]
        for vesicle_type in types or [f"{EXOOWL}ExtracellularVesicle"]:
            emit.quad(vesicle, RDF_TYPE, _iri(vesicle_type))
        emit.quad(vesicle, RDFS_LABEL, _lit(f"{value} of experiment {experiment_id}"))
    emit.quad(node, _o("importedFrom"), emit.file_node)
    return node


def _sample(row: Row, emit: Emitter, experiment: str) -> None:
    """The experiment's sample as the mapping tables resolve it: its kind (sample source), what it
    was (specimen, tissue, cell type) and, for a cell line, the line."""
    sources = row.many("SAMPLE SOURCE")
    sample = _iri(f"{experiment[1:-1]}/sample")
    kinds: list[Term] = []
    for code in sources:
        emit.quad(experiment, _o("sampleSourceAsReported"), _lit(code))
        kinds += emit.terms("SAMPLE SOURCE", "sample-sources", code)
    if row.get("SAMPLE"):
        kinds += emit.terms("SAMPLE", "samples", row.get("SAMPLE"))
    if row.get("SAMPLE") or sources:
        emit.quad(experiment, _o("hasSample"), sample)
        emit.quad(sample, RDFS_LABEL, _lit(row.get("SAMPLE") or f"sample of experiment {row.get('EXPERIMENT ID')}"))
    for term in kinds:  # specimen classes type the sample; other terms (UBERON, CL, cells) name what it was of
        if term.types and term.iri in emit.lookups.specimen_classes:
            emit.quad(sample, RDF_TYPE, _iri(term.iri))
        elif term.types:
            emit.quad(sample, _o("sampleOfType"), _iri(term.iri))
    sample_text = row.get("SAMPLE")
    diseases = list(emit.terms("SAMPLE (disease)", "sample-diseases", sample_text)) if sample_text else []
    for name in row.many("SAMPLE NAME"):
        if "cl" in sources:
            for term in emit.terms("SAMPLE NAME", "cell-lines", name):
                line = emit.cell_line(term)
                emit.quad(experiment, _o("usesCellLine"), line)
                disease = emit.lookups.cell_line_diseases.get(term.iri.rsplit("/", 1)[-1])
                if disease:
                    emit.quad(experiment, _o("studiesCancer"), emit.cancer(disease.curie, disease.label))
        else:  # a tissue's or fluid's sample name may say which disease it was of
            diseases += emit.terms("SAMPLE NAME (disease)", "sample-diseases", name)
    for term in diseases:
        if term.curie.startswith("MONDO:"):
            emit.quad(experiment, _o("studiesCancer"), emit.cancer(term.curie, term.label))


GPAD_EXTENSIONS = {"produced_by": "extensionProducedBy", "part_of": "extensionPartOf"}
EXTENSION = re.compile(r"(\w+)\(([A-Za-z]+):([A-Za-z0-9_]+)\)")


def _go_annotation(row: Row, emit: Emitter, norm: Normaliser) -> str:
    """One GPAD 1.1 line: a GO annotation record of a gene product or RNA."""
    database, entity, term = row.get("DB"), row.get("DB OBJECT ID"), row.get("GO ID")
    if not database or not entity:
        raise BadRow("no DB or DB Object ID")
    if not re.fullmatch(r"GO:\d{7}", term):
        raise BadRow(f"GO ID {term!r} is not a GO identifier")
    evidence = row.get("EVIDENCE CODE")
    if evidence and not re.fullmatch(r"ECO:\d{7}", evidence):
        raise BadRow(f"Evidence Code {evidence!r} is not an ECO identifier")
    digest = hashlib.sha1("\t".join(row.values.values()).encode()).hexdigest()[:20]
    node = _id(f"{emit.source.name}/go-annotation/{digest}")
    subject = _iri(f"https://identifiers.org/{_slug(database)}:{_slug(entity)}")
    emit.quad(node, RDF_TYPE, _o("GOAnnotation"))
    emit.quad(node, _o("annotatedEntity"), subject)
    taxon = entity.rsplit("_", 1)[-1] if database.casefold() == "rnacentral" and "_" in entity else ""
    if taxon.isdigit() and emit.first_time(subject):
        emit.quad(subject, IN_TAXON, _iri(f"{OBO}NCBITaxon_{taxon}"))
    if row.get("QUALIFIER"):
        emit.quad(node, _o("annotationQualifier"), _lit(row.get("QUALIFIER")))
    emit.quad(node, _o("annotationTerm"), _iri(f"{OBO}{term.replace(':', '_')}"))
    for reference in row.many("DB:REFERENCE(S)"):
        pubmed = reference.removeprefix("PMID:")
        if pubmed != reference and pubmed.isdigit():
            emit.quad(node, _o("pubmedId"), _lit(pubmed))
            emit.quad(node, SEE_ALSO, _iri(f"https://pubmed.ncbi.nlm.nih.gov/{pubmed}/"))
        else:
            emit.verbatim(node, "DB:REFERENCE(S)", reference)
    if evidence:
        emit.quad(node, _o("hasEvidence"), _iri(f"{OBO}{evidence.replace(':', '_')}"))
    day = row.get("DATE")
    if re.fullmatch(r"\d{8}", day):
        emit.quad(node, _o("annotationDate"), _lit(f"{day[:4]}-{day[4:6]}-{day[6:]}", XSD_DATE))
    if row.get("ASSIGNED BY"):
        emit.quad(node, _o("assignedBy"), _lit(row.get("ASSIGNED BY")))
    extension = row.get("ANNOTATION EXTENSION")
    if extension:
        emit.quad(node, _o("annotationExtension"), _lit(extension))
        for relation, prefix, local in EXTENSION.findall(extension):
            if relation in GPAD_EXTENSIONS:
                emit.quad(node, _o(GPAD_EXTENSIONS[relation]), _iri(f"{OBO}{prefix}_{local}"))
    emit.quad(node, _o("importedFrom"), emit.file_node)
    return node


READERS: dict[str, Callable[[Row, Emitter, Normaliser], str]] = {
    "cargo": _cargo,
    "mirna": _mirna,
    "lipid": _lipid,
    "ptm": _ptm,
    "genes": _genes,
    "experiments": _experiment,
    "go-annotations": _go_annotation,
}


def write_nquads(
    path: Path,
    out: TextIO,
    source: Source,
    report: ImportReport,
    released: date,
    version: str | None,
    lookups: Lookups,
    progress: ProgressCallback,
) -> None:
    counter = [0]
    download, data = open_download(path, counter)
    kind = download.kind
    report.kind = kind.name
    report.graph = import_graph(source.name, kind.name)
    emit = Emitter(out, report.graph, source, _id(f"{source.name}/file/{_slug(path.name)}"), lookups, report)
    _file_node(emit, path, source, version, released)
    norm, read = Normaliser(report, lookups.vocabularies.get("species")), READERS[kind.name]
    size = max(path.stat().st_size, 1)
    seen = SeenIds()
    columns = download.columns
    for line, fields in data:
        if kind is GPAD and len(fields) < len(columns):
            fields += [""] * (len(columns) - len(fields))  # GPAD's optional last columns may be left off
        if len(fields) != len(columns):
            report.bad(line, f"{len(fields)} fields where the header has {len(columns)}")
            continue
        row = Row(line, {c: clean(v, c, report.normalised) for c, v in zip(columns, fields, strict=True)})
        record_key = row.values.get(kind.key, "") if kind.key else ""
        if record_key and record_key in seen:
            report.bad(line, f"record {record_key} appears again (the first is kept)")
            continue
        try:
            node = read(row, emit, norm)
        except BadRow as exc:
            report.bad(line, str(exc))
            continue
        for column in columns:  # nothing is dropped: a column no reader maps is kept verbatim
            if column not in row.read and row.values[column]:
                emit.verbatim(node, column, row.values[column])
                report.verbatim[column] += 1
        if record_key:
            seen.add(record_key)
        report.records += 1
        if report.records % 20000 == 0:
            progress(report.records, counter[0], size)
    progress(report.records, counter[0], size)
    report.triples = emit.triples


# the import ------------------------------------------------------------------------------------
def _release_version(path: Path) -> str | None:
    found = re.search(r"_(\d+(?:\.\d+)?)(?:_\d{4}[-_]\d{2}[-_]\d{2})?\.(?:txt|csv|tsv)$", path.name, re.I)
    return found.group(1) if found else None


def _file_node(emit: Emitter, path: Path, source: Source, version: str | None, released: date) -> None:
    node = emit.file_node
    emit.quad(node, RDF_TYPE, _o("SourceFile"))
    emit.quad(node, _o("fileName"), _lit(path.name))
    emit.quad(node, _o("listedInDatabase"), _id(f"database/{source.name}"))
    emit.quad(node, _o("releaseDate"), _lit(released.isoformat(), XSD_DATE))
    if version:
        emit.quad(node, _o("releaseVersion"), _lit(version))


def curated_lookups(store: StoreProtocol | None, vocabularies: dict[str, Vocabulary] | None = None) -> Lookups:
    """What an import reads besides its file: the store's curated genes, miRNAs, cancers and specimen
    classes, the mapping tables given, the cell lines' diseases and the miRBase names."""
    lookups = Lookups(vocabularies=vocabularies or {})
    if store is not None:
        lookups.curated_genes = {str(row["gene"]) for row in store.query(internal_query("curated-genes"))}
        lookups.curated_mirnas = {
            row["label"].value.lower(): row["mirna"].value for row in store.query(internal_query("curated-mirnas"))
        }
        lookups.curated_mirna_nodes = set(lookups.curated_mirnas.values())
        lookups.specimen_classes = {row["class"].value for row in store.query(internal_query("specimen-classes"))}
        lookups.curated_cancers = {
            row["mondo"].value: row["cancer"].value for row in store.query(internal_query("curated-cancers"))
        }
    lookups.cell_line_diseases = load_cell_line_diseases(MAPPINGS / "cell_line_diseases.tsv")
    if (MAPPINGS / "mirbase" / MIRBASE_TABLE).is_file():
        lookups.mirbase = load_mirbase(MAPPINGS / "mirbase" / MIRBASE_TABLE)
    return lookups


def import_file(
    target: StoreLocation | RemoteStore,
    source_name: str,
    path: Path,
    *,
    version: str | None = None,
    released: date | None = None,
    progress: ProgressCallback = lambda *_: None,
    message: Callable[[str], None] = lambda _: None,
    lock_timeout: float = 300.0,
    vocabularies: dict[str, Vocabulary] | None = None,
    max_rejected: float = REJECTED_SHARE,
) -> ImportReport:
    """Import one download file into its graph (replacing the graph of an earlier import of the same
    kind from the same source) and commit; the store is unchanged on any error, and when more than
    ``max_rejected`` of the rows are rejected. ``target`` is a local store location or a SPARQL
    server; ``vocabularies`` the mapping tables (default: the project's ``data/mappings/vocabulary``)."""
    if source_name not in SOURCES:
        raise UsageError(f"unknown source {source_name!r}: choose {' or '.join(SOURCES)}")
    if not path.is_file():
        raise UsageError(f"no file {path}")
    if not isinstance(target, RemoteStore) and target.current() is None:
        raise StoreError(f"no store at {target.path}: run `exoowl build` first")
    source = SOURCES[source_name]
    report = ImportReport(source_name, "", path, "")
    released = released or date.fromtimestamp(path.stat().st_mtime)
    scratch = _scratch_file(None if isinstance(target, RemoteStore) else target)
    try:
        started = time.perf_counter()
        tables = default_vocabularies() if vocabularies is None else vocabularies
        if isinstance(target, RemoteStore):
            lookups = curated_lookups(target, tables)
        else:
            with Store.open(target.path) as store:
                lookups = curated_lookups(store, tables)
        try:
            with scratch.open("w", encoding="utf-8") as out:
                write_nquads(path, out, source, report, released, version or _release_version(path), lookups, progress)
        except OSError as exc:  # the scratch file's disk (beside the store) is full
            raise StoreError(f"{disk_problem(exc)} while reading {path.name}; the store was not changed") from None
        report.seconds["read"] = time.perf_counter() - started
        if report.records == 0:
            raise InputError(
                f"no record could be imported ({report.bad_rows} bad row(s)); the store was not changed", path
            )
        _refuse_many_rejections(report, max_rejected)
        message(f"loading {report.triples} triples into {report.graph} …")
        started = time.perf_counter()
        if isinstance(target, RemoteStore):
            _load_remote(target, report, scratch)
        else:
            _load(target, report, scratch, lock_timeout)
        report.seconds["load"] = time.perf_counter() - started
    finally:
        scratch.unlink(missing_ok=True)
    return report


def default_vocabularies() -> dict[str, Vocabulary]:
    """The project's mapping tables (``data/mappings/vocabulary``)."""
    return load_all(MAPPINGS / "vocabulary")


def _refuse_many_rejections(report: ImportReport, max_rejected: float) -> None:
    rows = report.records + report.bad_rows
    if report.bad_rows > max_rejected * rows:
        first = "; ".join(f"line {line}: {reason}" for line, reason in report.bad_examples[:5])
        raise InputError(
            f"{report.bad_rows} of {rows} rows ({report.bad_rows / rows:.1%}) were rejected, more than "
            f"{max_rejected:.0%} (--max-rejected); the store was not changed (first: {first})",
            report.path,
        )


def _scratch_file(location: StoreLocation | None) -> Path:
    """Where the N-Quads wait: beside the builds (same file system) or, for a server, a temporary file."""
    if location is None:
        handle, name = tempfile.mkstemp(prefix="exoowl-import-", suffix=".nq")
        os.close(handle)
        return Path(name)
    location.builds_dir.mkdir(parents=True, exist_ok=True)
    return location.builds_dir / f".import-{os.getpid()}-{time.monotonic_ns()}.nq"


def _load_remote(store: RemoteStore, report: ImportReport, scratch: Path) -> None:
    """Upload the records to a staging graph in chunks, then move it over the import graph."""

    def fill(staging: str) -> None:
        with scratch.open(encoding="utf-8") as lines:
            store.add_triples(staging, (_without_graph(line) for line in lines))

    store.replace_graphs({report.graph: fill})


def _without_graph(nquad: str) -> str:
    """An N-Quads line of the importer (graph IRI last) as N-Triples."""
    return nquad[: nquad.rstrip().rfind(" <")] + " ."


def _load(location: StoreLocation, report: ImportReport, scratch: Path, lock_timeout: float) -> None:
    """Bulk-load the scratch file into a checkpoint copy whose graph was emptied, then commit."""

    def load(store: Store, _build: Path) -> None:
        name = ox.NamedNode(report.graph)
        touched = set()  # the experiments of the graph replaced and of the new one: only theirs are reassessed
        if store.db.contains_named_graph(name):
            touched = graph_experiments(store, report.graph)
            store.db.remove_graph(name)
        # lenient: the importer wrote every IRI itself (percent-encoded record IDs, numeric gene IDs)
        store.db.bulk_load(path=str(scratch), format=ox.RdfFormat.N_QUADS, lenient=True)
        store.db.add_graph(name)
        touched |= graph_experiments(store, report.graph)
        report.misev_triples = reassess(store, MAPPINGS / "misev_markers.tsv", touched)

    def manifest(previous: dict[str, Any], _result: None) -> dict[str, Any]:
        imports = {
            **previous.get("imports", {}),
            report.graph: {
                "file": report.path.name,
                "records": report.records,
                "triples": report.triples,
                "bad_rows": report.bad_rows,
                "imported": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            },
        }
        graphs = {**previous.get("graphs", {}), report.graph: report.triples, GRAPH_MISEV: report.misev_triples}
        return {**previous, "graphs": graphs, "imports": imports}

    report.build, _ = transaction(location, load, manifest, lock_timeout=lock_timeout, grace=120.0, operation="import")
