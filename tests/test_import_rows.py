"""The importer row by row, without a build: what a cell becomes in the N-Quads, which rows are
refused and at which line, what is normalised; and one import into a small committed store.

Fast enough to run once per mutant (`make mutation`): the files are written here, the N-Quads are
read back by pyoxigraph's strict parser."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pyoxigraph as ox
import pytest
from store_builder import commit_store

from exoowl.errors import InputError, UsageError
from exoowl.importers import (
    SOURCES,
    ImportReport,
    Lookups,
    SeenIds,
    _release_version,
    import_file,
    import_graph,
    write_nquads,
)
from exoowl.store import Store

ID = "https://w3id.org/exoowl/id/"
ONT = "https://w3id.org/exoowl/ontology/"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
CARGO = ["CONTENT ID", "CONTENT TYPE", "ENTREZ GENE ID", "GENE SYMBOL", "SPECIES", "EXPERIMENT ID", "METHODS"]
RELEASED = date(2024, 6, 18)


def table(
    tmp_path: Path, rows: list[list[str]], header: list[str] = CARGO, name: str = "file.tsv", end: str = "\n"
) -> Path:
    """A download file as the databases write theirs: cells joined by tabs, lines ended by ``end``
    (quotes are data, not quoting)."""
    path = tmp_path / name
    path.write_bytes("".join("\t".join(cells) + end for cells in [header, *rows]).encode("utf-8"))
    return path


def read(path: Path, source: str = "exocarta", lookups: Lookups | None = None) -> tuple[ImportReport, ox.Store, list]:
    """The report, the N-Quads in a store (strict parse: every literal must be well escaped) and
    the progress calls."""
    out, calls = io.StringIO(), []
    report = ImportReport(source, "", path, "")
    progress = lambda *args: calls.append(args)  # noqa: E731
    write_nquads(path, out, SOURCES[source], report, RELEASED, _release_version(path), lookups or Lookups(), progress)
    store = ox.Store()
    store.load(out.getvalue().encode(), format=ox.RdfFormat.N_QUADS)
    assert report.triples == len(store) == out.getvalue().count("\n")
    return report, store, calls


def values(store: ox.Store, s: str | None, p: str) -> list[str]:
    subject = ox.NamedNode(s) if s else None
    return sorted(q.object.value for q in store.quads_for_pattern(subject, ox.NamedNode(p), None, None))


def objects(store: ox.Store, s: str, p: str) -> list[ox.Term]:
    return [q.object for q in store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), None, None)]


def read_rows(tmp_path: Path, rows: list[list[str]], header: list[str] = CARGO, **options):
    return read(table(tmp_path, rows, header), **options)


HOSTILE = "a \"quoted\" symbol\\with a backslash, 'single' quotes and a \\n that is text"


def test_quotes_and_backslashes_in_a_cell_round_trip_exactly(tmp_path: Path) -> None:
    report, store, _ = read_rows(
        tmp_path,
        [["1", "protein", "101", HOSTILE, 'Drosophila "wild" \\ type', "e\\1", 'Mass "spec"|a\\b']],
    )
    assert report.records == 1 and report.bad_rows == 0
    assert values(store, f"{ID}gene/101", LABEL) == [HOSTILE]
    assert values(store, f"{ID}gene/101", f"{ONT}speciesAsReported") == ['Drosophila "wild" \\ type']
    assert values(store, f"{ID}exocarta/cargo/1", f"{ONT}detectionMethod") == ['Mass "spec"', "a\\b"]
    assert values(store, None, f"{ONT}recordId") == ["1", "e\\1"]
    [file_name] = values(store, None, f"{ONT}fileName")
    assert file_name == "file.tsv"


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_line_number(tmp_path: Path) -> None:
    report, store, _ = read_rows(
        tmp_path,
        [
            ["1", "protein", "101", "A", "Homo sapiens", "10", "MS"],
            ["2", "protein", "102", "B", "Homo sapiens", "10", "MS", "an extra cell"],  # line 3
            ["3", "protein", "103"],  # line 4: too few
            ["4", "protein", "104", "D", "Homo sapiens", "10", "MS", ""],  # line 5: an empty extra cell
            ["5", "protein", "105", "E", "Homo sapiens", "10", "MS"],
        ],
    )
    assert report.records == 2 and report.bad_rows == 3
    assert report.bad_examples == [
        (3, "8 fields where the header has 7"),
        (4, "3 fields where the header has 7"),
        (5, "8 fields where the header has 7"),
    ]
    assert values(store, None, f"{ONT}recordId") == ["1", "10", "5"]  # the experiment's ID is a record ID too
    assert not values(store, f"{ID}gene/102", LABEL) and not values(store, f"{ID}gene/104", LABEL)


def test_lines_end_at_newlines_only_a_stray_carriage_return_is_cleaned_and_line_numbers_stay_true(
    tmp_path: Path,
) -> None:
    """Vesiclepedia's miRNA file: a lone carriage return as the Entrez cell in mid-line; CRLF ends elsewhere."""
    header = [
        "CONTENT ID",
        "CONTENT TYPE",
        "MIRNA ID",
        "SPECIES",
        "EXPERIMENT ID",
        "METHODS",
        "ENTREZ GENE ID",
        "COMMENTS",
    ]
    rows = [
        ["1", "mirna", "let-7a", "Mus musculus", "15", "miRCURY LNA Array", "387244", "Clear hit to Entrez gene ID"],
        ["10522", "mirna", "miR-146b-5p", "Homo sapiens", "1334", "RT-PCR", "\r", "NOTFOUND"],
        ["10523", "mirna", "miR-133a ", " Mus musculus", "1337", "RT-PCR", "\r", "NOT FOUND"],
        ["10524", "mirna", "miR-x", "Homo sapiens", "1337", "RT-PCR", "abc", "-"],  # line 5: a bad Entrez ID
    ]
    for end in ("\n", "\r\n"):
        report, store, _ = read(table(tmp_path, rows, header, end=end))
        assert report.kind == "mirna" and report.records == 3
        assert report.bad_examples == [(5, "Entrez GENE ID 'abc' is not an NCBI Gene ID")]
        assert report.normalised["stray carriage return removed from ENTREZ GENE ID"] == 2
        assert report.normalised["'NOTFOUND' in COMMENTS read as missing"] == 1
        assert report.normalised["'NOT FOUND' in COMMENTS read as missing"] == 1
        assert values(store, None, f"{ONT}recordId") == ["1", "10522", "10523", "1334", "1337", "15"]
        assert values(store, None, "http://www.w3.org/2000/01/rdf-schema#comment") == ["Clear hit to Entrez gene ID"]
        encoded = values(store, None, "http://purl.obolibrary.org/obo/RO_0002204")
        assert encoded == [f"{ID}gene/387244"]


def test_a_column_no_reader_maps_is_kept_verbatim(tmp_path: Path) -> None:
    report, store, _ = read_rows(
        tmp_path, [["1", "protein", "101", "A", "Homo sapiens", "", "", "a note "]], header=[*CARGO, "CURATOR NOTE"]
    )
    assert report.records == 1 and report.verbatim == {"CURATOR NOTE": 1}
    [cell] = values(store, f"{ID}exocarta/cargo/1", f"{ONT}hasVerbatimCell")
    assert values(store, cell, f"{ONT}columnName") == ["CURATOR NOTE"]
    assert values(store, cell, f"{ONT}verbatimValue") == ["a note"]


def test_bad_and_repeated_records_are_reported_and_the_first_is_kept(tmp_path: Path) -> None:
    report, store, _ = read_rows(
        tmp_path,
        [
            ["", "protein", "101", "A", "Homo sapiens", "", ""],  # line 2
            ["7", "protein", "101", "A", "Homo sapiens", "", ""],
            ["7", "protein", "102", "B", "Homo sapiens", "", ""],  # line 4
            ["x7", "protein", "103", "C", "Homo sapiens", "", ""],
            ["x7", "protein", "104", "C", "Homo sapiens", "", ""],  # line 6
            ["", "", "", "", "", "", ""],  # blank: not a row
            ["8", "protein", "101", "A", "Homo sapiens", "", ""],  # the same gene again: described once
        ],
    )
    assert report.records == 3
    assert report.bad_examples == [
        (2, "no CONTENT ID"),
        (4, "record 7 appears again (the first is kept)"),
        (6, "record x7 appears again (the first is kept)"),
    ]
    assert objects(store, f"{ID}exocarta/cargo/7", f"{ONT}observedMolecule") == [ox.NamedNode(f"{ID}gene/101")]
    assert values(store, f"{ID}gene/101", LABEL) == ["A"]
    assert values(store, f"{ID}gene/101", f"{ONT}nameKey") == ["a"]  # the label's lookup key
    # type, NCBI Gene ID, label and its key, taxon, the database's and NCBI's pages: the first row only
    assert len(list(store.quads_for_pattern(ox.NamedNode(f"{ID}gene/101"), None, None, None))) == 7
    assert not list(store.quads_for_pattern(None, ox.NamedNode(f"{ONT}inExperiment"), None, None))


def test_a_curated_gene_keeps_its_own_description(tmp_path: Path) -> None:
    curated = {f"<{ID}gene/967>"}
    _, store, _ = read_rows(
        tmp_path, [["1", "protein", "967", "CD63", "Homo sapiens", "", ""]], lookups=Lookups(curated_genes=curated)
    )
    gene = list(store.quads_for_pattern(ox.NamedNode(f"{ID}gene/967"), None, None, None))
    assert [(q.predicate.value, q.object.value) for q in gene] == [
        ("http://www.w3.org/2000/01/rdf-schema#seeAlso", "http://exocarta.org/gene_summary?gene_id=967")
    ]


def test_species_and_content_types_are_normalised_and_counted(tmp_path: Path) -> None:
    report, store, _ = read_rows(
        tmp_path,
        [
            ["1", "MRNA", "101", "A", "Human", "", ""],
            ["2", "protein", "102", "B", " Mus   musculus ", "", ""],
            ["3", "widget", "103", "C", "Danio  rerio", "", ""],
            ["4", "protein", "104", "D", "", "", ""],
        ],
    )
    assert report.normalised == {
        "content type 'MRNA' → 'mRNA'": 1,
        "species 'Human' → 'Homo sapiens'": 1,
        "content type 'widget' kept as written (not a known type)": 1,
        "species 'Danio  rerio' → 'Danio rerio' (spaces)": 1,
    }  # " Mus   musculus " is the name once its spaces are folded: not counted
    taxon = "http://purl.obolibrary.org/obo/RO_0002162"
    assert values(store, f"{ID}gene/101", taxon) == ["http://purl.obolibrary.org/obo/NCBITaxon_9606"]
    assert values(store, f"{ID}gene/102", taxon) == ["http://purl.obolibrary.org/obo/NCBITaxon_10090"]
    assert values(store, f"{ID}gene/103", f"{ONT}speciesAsReported") == ["Danio rerio"]
    assert not values(store, f"{ID}gene/104", f"{ONT}speciesAsReported") and not values(store, f"{ID}gene/104", taxon)
    assert values(store, None, f"{ONT}contentType") == ["mRNA", "protein", "protein", "widget"]


def test_mirna_rows_reuse_curated_mirnas_and_describe_new_ones_once(tmp_path: Path) -> None:
    curated = {"hsa-mir-1": f"{ID}mirna/MIMAT1"}
    report, store, _ = read_rows(
        tmp_path,
        [["hsa-miR-1", "Homo sapiens"], ["hsa-miR-2", "Homo sapiens"], ["HSA-miR-2", "Mus musculus"], ["", "x"]],
        header=["MIRNA ID", "SPECIES"],
        lookups=Lookups(curated_mirnas=curated),
    )
    assert report.kind == "mirna" and report.records == 3 and report.bad_examples == [(5, "no MIRNA ID")]
    molecules = values(store, None, f"{ONT}observedMolecule")
    human, mouse = f"{ID}exocarta/mirna/hsa-miR-2/9606", f"{ID}exocarta/mirna/HSA-miR-2/10090"
    assert molecules == sorted([human, mouse, f"{ID}mirna/MIMAT1"])  # one node per name and species
    assert values(store, human, LABEL) == ["hsa-miR-2"]
    assert values(store, mouse, "http://purl.obolibrary.org/obo/RO_0002162") == [
        "http://purl.obolibrary.org/obo/NCBITaxon_10090"
    ]
    assert values(store, None, f"{ONT}recordId") == ["line-2", "line-3", "line-4"]


def test_experiment_rows(tmp_path: Path) -> None:
    header = ["EXPERIMENT ID", "PUBMED ID", "SPECIES", "SAMPLE", "VESICLE TYPE"]
    report, store, _ = read_rows(
        tmp_path,
        [
            ["10", "123", "Homo sapiens|Mus musculus|", "Plasma", "Exosomes/ Microvesicles/"],
            ["11", "0", "Homo sapiens", "", ""],
            ["12", "PMC9", "", "", ""],
            ["10", "5", "", "", ""],
            ["", "5", "", "", ""],
        ],
        header=header,
    )
    assert report.kind == "experiments" and report.records == 3
    assert report.bad_examples == [(5, "record 10 appears again (the first is kept)"), (6, "no EXPERIMENT ID")]
    assert report.normalised == {"'0' in PUBMED ID read as missing": 1, "PubMed ID 'PMC9' is not a number: left out": 1}
    e10 = f"{ID}exocarta/experiment/10"
    assert values(store, e10, f"{ONT}pubmedId") == ["123"]
    assert "https://pubmed.ncbi.nlm.nih.gov/123/" in values(store, e10, "http://www.w3.org/2000/01/rdf-schema#seeAlso")
    assert len(values(store, e10, "http://purl.obolibrary.org/obo/RO_0002162")) == 2
    assert values(store, e10, f"{ONT}sampleAsReported") == ["Plasma"]
    assert values(store, e10, f"{ONT}vesicleTypeAsReported") == ["Exosomes", "Microvesicles"]
    assert values(store, None, f"{ONT}pubmedId") == ["123"]
    assert not values(store, f"{ID}exocarta/experiment/11", f"{ONT}sampleAsReported")


def test_a_comma_separated_file_and_its_release_version(tmp_path: Path) -> None:
    path = tmp_path / "VESICLEPEDIA_PROTEIN_MRNA_DETAILS_5.1_2024_06_18.csv"
    path.write_text(",".join(CARGO) + '\n1,protein,101,"A, B",Homo sapiens,,\n', encoding="utf-8")
    report, store, calls = read(path, "vesiclepedia")
    assert report.records == 1 and report.graph == import_graph("vesiclepedia", "cargo")
    assert values(store, f"{ID}gene/101", LABEL) == ["A, B"]
    assert values(store, None, f"{ONT}releaseVersion") == ["5.1"]
    assert values(store, None, f"{ONT}releaseDate") == ["2024-06-18"]
    assert calls == [(1, path.stat().st_size, path.stat().st_size)]
    assert _release_version(Path("exocarta_5.txt")) == "5" and _release_version(Path("exocarta.txt")) is None


def test_progress_is_reported_every_20000_records(tmp_path: Path) -> None:
    report, _, calls = read_rows(tmp_path, [[str(n), "protein", "101", "A", "", "", ""] for n in range(1, 20002)])
    assert report.records == 20001 and [c[0] for c in calls] == [20000, 20001]


def test_the_header_decides_the_kind_and_an_unknown_or_huge_header_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="matches no known download") as unknown:
        read(table(tmp_path, [["1", "2"]], header=["A", "B"]))
    assert unknown.value.line == 1
    huge = tmp_path / "huge.tsv"
    huge.write_text("A" * 70000 + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="first line is over 65536 characters"):
        read(huge)
    report, _, _ = read(
        table(tmp_path, [["1", "protein", "101", "A", "", "", ""]], header=[f" \ufeff{CARGO[0]}", *CARGO[1:]])
    )
    assert report.kind == "cargo" and report.records == 1


def test_a_line_that_is_not_csv_is_a_bad_row_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(",".join(CARGO) + "\n1,protein,101,A,,,\n2," + "x" * 140000 + "\n", encoding="utf-8")
    report, _, _ = read(path)
    assert report.records == 1 and report.bad_examples == [(3, "1 fields where the header has 7")]


def test_seen_ids_remember_numbers_by_bit_and_other_ids_by_name() -> None:
    seen = SeenIds()
    numbers = [0, 1, 7, 8, 9, 15, 16, 1000, 123456789]
    for n in numbers:
        seen.add(str(n))
    seen.add("abc")
    seen.add("123456789012")  # 12 digits: kept by name
    assert all(str(n) in seen for n in numbers)
    assert not any(str(n) in seen for n in (2, 6, 10, 14, 17, 999, 1001, 123456788, 123456790, 10**10))
    assert "abc" in seen and "abd" not in seen and "123456789012" in seen and "123456789013" not in seen
    assert len(seen.bits) == 123456789 // 8 + 1 and seen.others == {"abc", "123456789012"}


def test_an_import_into_a_committed_store_replaces_its_graph(tmp_path: Path) -> None:
    graph = import_graph("exocarta", "cargo")
    location = commit_store(tmp_path / "store", {graph: b"<urn:old> <urn:p> <urn:o> .\n"})
    good = [[str(n), "protein", str(200 + n), "B", "", "", ""] for n in range(3, 102)]
    path = table(
        tmp_path, [["1", "protein", "101", HOSTILE, "", "", ""], ["2", "protein", "102", "B", "", "", "", "x"], *good]
    )
    report = import_file(location, "exocarta", path, released=RELEASED)
    assert report.records == 100 and report.bad_rows == 1 and location.current() == report.build
    store = Store.open(location.path)
    labels = store.query(f"SELECT ?l WHERE {{ GRAPH <{graph}> {{ <{ID}gene/101> <{LABEL}> ?l }} }}")
    assert [row["l"].value for row in labels] == [HOSTILE]
    assert not store.query(f"ASK {{ GRAPH <{graph}> {{ <urn:old> ?p ?o }} }}")
    assert store.count(graph) == report.triples
    imports = location.manifest()["imports"][graph]
    assert (imports["file"], imports["records"], imports["bad_rows"]) == ("file.tsv", 100, 1)
    assert location.manifest()["graphs"][graph] == report.triples


def test_an_import_that_cannot_run_changes_nothing(tmp_path: Path) -> None:
    location = commit_store(tmp_path / "store", {})
    before = location.current()
    with pytest.raises(UsageError, match="unknown source"):
        import_file(location, "pubmed", tmp_path)
    with pytest.raises(UsageError, match="no file"):
        import_file(location, "exocarta", tmp_path / "absent.tsv")
    with pytest.raises(InputError, match=r"no record could be imported \(1 bad row"):
        import_file(location, "exocarta", table(tmp_path, [["1", "protein", "x", "", "", "", ""]]))
    assert location.current() == before
    rows = [[str(n), "protein", str(n), "A", "", "", ""] for n in range(1, 101)] + [
        ["101", "protein", "x", "", "", "", ""]
    ]
    import_file(location, "exocarta", table(tmp_path, rows))  # 1 of 101 rejected: imported
    before = location.current()
    rows.append(["102", "protein", "y", "", "", "", ""])
    with pytest.raises(InputError, match=r"2 of 102 rows \(2.0%\) were rejected, more than 1%.*line 102: ENTREZ"):
        import_file(location, "exocarta", table(tmp_path, rows))
    assert location.current() == before and not list(location.builds_dir.glob(".import-*"))
