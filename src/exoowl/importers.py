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

import csv
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import pyoxigraph as ox

from .errors import InputError, StoreError, UsageError
from .namespaces import EXOID, EXOOWL, IMPORT_GRAPHS, OBO
from .remote import RemoteStore
from .service import internal_query
from .store import Store, StoreLocation, StoreProtocol
from .write import disk_problem, transaction

RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
SEE_ALSO = "<http://www.w3.org/2000/01/rdf-schema#seeAlso>"
XSD_DATE = "<http://www.w3.org/2001/XMLSchema#date>"
IN_TAXON = f"<{OBO}RO_0002162>"
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

KINDS: dict[str, tuple[str, ...]] = {
    "cargo": ("CONTENT ID", "CONTENT TYPE", "ENTREZ GENE ID", "GENE SYMBOL", "SPECIES", "EXPERIMENT ID", "METHODS"),
    "mirna": ("MIRNA ID", "SPECIES"),
    "experiments": ("EXPERIMENT ID", "PUBMED ID", "SPECIES"),
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
    seconds: dict[str, float] = field(default_factory=dict)
    build: Path | None = None

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


# reading ---------------------------------------------------------------------------------------
def _header_key(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().upper().split())


def detect_kind(columns: list[str], path: Path | None = None) -> str:
    present = set(columns)
    for kind, needed in KINDS.items():
        if set(needed) <= present:
            return kind
    raise InputError(
        "the header matches no known download: expected the columns of a protein/mRNA file ("
        + ", ".join(KINDS["cargo"])
        + "), a miRNA file (MIRNA ID, SPECIES) or an experiment file "
        "(EXPERIMENT ID, PUBMED ID, SPECIES); got " + ", ".join(columns),
        path,
        line=1,
    )


MAX_HEADER = 65536  # a download's header is a few hundred characters


def _counted(handle: TextIO, counter: list[int]) -> Iterator[str]:
    for line in handle:
        counter[0] += len(line)
        yield line


def rows(path: Path, counter: list[int]) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header's column keys and the data rows with their line numbers."""
    handle = path.open(encoding="utf-8", errors="replace", newline="")
    header_line = handle.readline(MAX_HEADER + 1)
    if len(header_line) > MAX_HEADER:
        handle.close()
        raise InputError(
            f"the first line is over {MAX_HEADER} characters: not the header of an ExoCarta or Vesiclepedia download",
            path,
            line=1,
        )
    counter[0] += len(header_line)
    delimiter = "\t" if "\t" in header_line else ","
    columns = [_header_key(c) for c in next(csv.reader([header_line], delimiter=delimiter))]

    def data() -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(_counted(handle, counter), delimiter=delimiter)
        try:
            for fields in reader:
                if fields and any(f.strip() for f in fields):
                    yield reader.line_num + 1, fields
        except csv.Error as exc:
            raise InputError(
                f"cannot be read as {'tab' if delimiter == chr(9) else 'comma'}-separated values "
                f"({exc}); nothing was imported",
                path,
                line=reader.line_num + 1,
            ) from None
        finally:
            handle.close()

    return columns, data()


# normalising -----------------------------------------------------------------------------------
class Normaliser:
    def __init__(self, report: ImportReport) -> None:
        self.report = report

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
        """(normalised name, NCBI taxon number or None)."""
        value = " ".join(raw.split())
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
        if not value or value == "0":
            self.report.normalised[f"PubMed ID {value or 'empty'!r} → none"] += 1
            return None
        if not value.isdigit():
            self.report.normalised[f"PubMed ID {value!r} is not a number: left out"] += 1
            return None
        return value


# records → N-Quads -----------------------------------------------------------------------------
class Emitter:
    """Writes one graph's N-Quads; remembers which genes and experiments it already described."""

    def __init__(
        self,
        out: TextIO,
        graph: str,
        source: Source,
        file_node: str,
        curated_genes: set[str],
        known_mirnas: dict[str, str],
    ) -> None:
        self.out, self.graph, self.source, self.file_node = out, _iri(graph), source, file_node
        self.curated_genes, self.known_mirnas = curated_genes, known_mirnas
        self.genes: set[str] = set()
        self.mirnas: dict[str, str] = {}  # lower-case name → node
        self.experiments: set[str] = set()
        self.triples = 0

    def quad(self, s: str, p: str, o: str) -> None:
        self.out.write(f"{s} {p} {o} {self.graph} .\n")
        self.triples += 1

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
        if node in self.curated_genes:
            return node  # the curated gene: its label and identifiers are the review's
        self.quad(node, RDF_TYPE, _o("Gene"))
        self.quad(node, _o("ncbiGeneId"), _lit(gene_id))
        self.quad(node, SEE_ALSO, _iri(f"https://www.ncbi.nlm.nih.gov/gene/{gene_id}"))
        if symbol:
            self.quad(node, RDFS_LABEL, _lit(symbol))
        self.species(node, name, taxon)
        return node

    def mirna(self, name: str, species: str, taxon: str | None) -> str:
        known = self.known_mirnas.get(name.lower())
        if known:
            return _iri(known)
        node = self.mirnas.get(name.lower())
        if node is None:  # the first spelling names the node: miR-21 and MIR-21 are one miRNA
            node = self.mirnas[name.lower()] = _id(f"{self.source.name}/mirna/{_slug(name)}")
            self.quad(node, RDF_TYPE, _o("MicroRNA"))
            self.quad(node, RDFS_LABEL, _lit(name))
            self.species(node, species, taxon)
        return node

    def experiment(self, experiment_id: str) -> str:
        node = _id(f"{self.source.name}/experiment/{_slug(experiment_id)}")
        if experiment_id not in self.experiments:
            self.experiments.add(experiment_id)
            self.quad(node, RDF_TYPE, _o("EVExperiment"))
            self.quad(node, _o("recordId"), _lit(experiment_id))
            self.quad(node, _o("listedInDatabase"), _id(f"database/{self.source.name}"))
        return node

    def observation(
        self,
        record_id: str,
        molecule: str,
        content_type: str,
        species: tuple[str, str | None],
        experiment_id: str,
        methods: str,
        kind: str,
    ) -> None:
        node = _id(f"{self.source.name}/{kind}/{_slug(record_id)}")
        self.quad(node, RDF_TYPE, _o("CargoObservation"))
        self.quad(node, _o("recordId"), _lit(record_id))
        self.quad(node, _o("observedMolecule"), molecule)
        self.quad(node, _o("contentType"), _lit(content_type))
        self.species(node, *species)
        if experiment_id:
            self.quad(node, _o("inExperiment"), self.experiment(experiment_id))
        for method in dict.fromkeys(m.strip() for m in methods.split("|") if m.strip()):
            self.quad(node, _o("detectionMethod"), _lit(method))
        self.quad(node, _o("importedFrom"), self.file_node)


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
    line: int
    values: dict[str, str]

    def get(self, key: str) -> str:
        return self.values.get(key, "").strip()


def _cargo(row: Row, emit: Emitter, norm: Normaliser) -> str | None:
    """Emit one protein/mRNA record; a reason when the row is bad."""
    record_id, gene_id = row.get("CONTENT ID"), row.get("ENTREZ GENE ID")
    if not record_id:
        return "no CONTENT ID"
    if not gene_id.isdigit():
        return f"ENTREZ GENE ID {gene_id!r} is not an NCBI Gene ID"
    species = norm.species(row.values.get("SPECIES", ""))
    gene = emit.gene(gene_id, row.get("GENE SYMBOL"), *species)
    emit.observation(
        record_id,
        gene,
        norm.content_type(row.get("CONTENT TYPE")),
        species,
        row.get("EXPERIMENT ID"),
        row.get("METHODS"),
        "cargo",
    )
    return None


def _mirna(row: Row, emit: Emitter, norm: Normaliser) -> str | None:
    name = row.get("MIRNA ID")
    if not name:
        return "no MIRNA ID"
    record_id = row.get("CONTENT ID") or f"line-{row.line}"
    species = norm.species(row.values.get("SPECIES", ""))
    emit.observation(
        record_id, emit.mirna(name, *species), "miRNA", species, row.get("EXPERIMENT ID"), row.get("METHODS"), "mirna"
    )
    return None


def _experiment(row: Row, emit: Emitter, norm: Normaliser) -> str | None:
    experiment_id = row.get("EXPERIMENT ID")
    if not experiment_id:
        return "no EXPERIMENT ID"
    node = emit.experiment(experiment_id)
    pubmed = norm.pubmed(row.get("PUBMED ID"))
    if pubmed:
        emit.quad(node, _o("pubmedId"), _lit(pubmed))
        emit.quad(node, SEE_ALSO, _iri(f"https://pubmed.ncbi.nlm.nih.gov/{pubmed}/"))
    for species in dict.fromkeys(s for s in row.get("SPECIES").split("|") if s.strip()):
        emit.species(node, *norm.species(species))
    if row.get("SAMPLE"):
        emit.quad(node, _o("sampleAsReported"), _lit(row.get("SAMPLE")))
    for vesicle in dict.fromkeys(v.strip() for v in row.get("VESICLE TYPE").split("/") if v.strip()):
        emit.quad(node, _o("vesicleTypeAsReported"), _lit(vesicle))
    emit.quad(node, _o("importedFrom"), emit.file_node)
    return None


READERS = {"cargo": _cargo, "mirna": _mirna, "experiments": _experiment}


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


def curated_lookups(store: StoreProtocol | None) -> tuple[set[str], dict[str, str]]:
    """The curated genes (N-Triples IRIs) and miRNA labels (lower case → IRI) of a store."""
    if store is None:
        return set(), {}
    genes = {str(row["gene"]) for row in store.query(internal_query("curated-genes"))}
    mirnas = {row["label"].value.lower(): row["mirna"].value for row in store.query(internal_query("curated-mirnas"))}
    return genes, mirnas


def write_nquads(
    path: Path,
    out: TextIO,
    source: Source,
    report: ImportReport,
    released: date,
    version: str | None,
    lookups: tuple[set[str], dict[str, str]],
    progress: ProgressCallback,
) -> None:
    counter = [0]
    columns, data = rows(path, counter)
    report.kind = detect_kind(columns, path)
    report.graph = import_graph(source.name, report.kind)
    genes, mirnas = lookups
    emit = Emitter(out, report.graph, source, _id(f"{source.name}/file/{_slug(path.name)}"), genes, mirnas)
    _file_node(emit, path, source, version, released)
    norm, read = Normaliser(report), READERS[report.kind]
    size = max(path.stat().st_size, 1)
    seen = SeenIds()
    for line, fields in data:
        if len(fields) != len(columns):
            report.bad(line, f"{len(fields)} fields where the header has {len(columns)}")
            continue
        row = Row(line, dict(zip(columns, fields, strict=True)))
        key = row.get("CONTENT ID") if report.kind != "experiments" else row.get("EXPERIMENT ID")
        if key and key in seen and report.kind != "mirna":
            report.bad(line, f"record {key} appears again (the first is kept)")
            continue
        reason = read(row, emit, norm)
        if reason:
            report.bad(line, reason)
            continue
        if key:
            seen.add(key)
        report.records += 1
        if report.records % 20000 == 0:
            progress(report.records, counter[0], size)
    progress(report.records, counter[0], size)
    report.triples = emit.triples


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
) -> ImportReport:
    """Import one download file into its graph (replacing the graph of an earlier import of the same
    kind from the same source) and commit; the store is unchanged on any error. ``target`` is a
    local store location or a SPARQL server."""
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
        if isinstance(target, RemoteStore):
            lookups = curated_lookups(target)
        else:
            with Store.open(target.path) as store:
                lookups = curated_lookups(store)
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
        if store.db.contains_named_graph(name):
            store.db.remove_graph(name)
        # lenient: the importer wrote every IRI itself (percent-encoded record IDs, numeric gene IDs)
        store.db.bulk_load(path=str(scratch), format=ox.RdfFormat.N_QUADS, lenient=True)
        store.db.add_graph(name)

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
        return {**previous, "graphs": {**previous.get("graphs", {}), report.graph: report.triples}, "imports": imports}

    report.build, _ = transaction(location, load, manifest, lock_timeout=lock_timeout, grace=120.0, operation="import")
