"""The miRNA name resolver (exoowl.mirbase) on the shipped miRBase table.

Expected answers come from the table's rows, read here independently of the resolver (or from the
resolver on the plain spelling of the same name), never typed in. The table itself is checked
against the reference files it was derived from (../shared/reference), and the resolver against
the real Vesiclepedia sample rows there; both are skipped when that folder is absent.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from exoowl import mirbase, mirbase_table
from exoowl.errors import InputError
from exoowl.mirbase import MiRBase, Resolution

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "data" / "mappings" / "mirbase" / mirbase.TABLE
REF = ROOT.parent / "shared" / "reference"
SAMPLE = REF / "vesiclepedia-sample" / "Vesiclepedia_miRNA_details.sample.txt"
HUMAN, MOUSE = "9606", "10090"


@cache
def table() -> MiRBase:
    return mirbase.load(TABLE)


@cache
def rows() -> tuple[dict[str, str], ...]:
    lines = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return tuple(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


@cache
def by_name() -> dict[str, list[dict[str, str]]]:
    """Rows by name up to case (the resolver's lookups are case-insensitive)."""
    index: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in rows():
        index[row["name"].casefold()].append(row)
    return index


def taxon(row: dict[str, str]) -> str:
    return row["taxon_id"]


def v22_matures() -> list[dict[str, str]]:
    return [r for r in rows() if r["type"] == "mature" and r["name"] == r["current_name_v22"]]


def v22_precursors() -> list[dict[str, str]]:
    return [r for r in rows() if r["type"] == "precursor" and r["name"] == r["current_name_v22"]]


@cache
def v22_names() -> dict[str, str]:
    return {r["accession"]: r["current_name_v22"] for r in rows() if r["current_name_v22"]}


def v22_name(accession: str) -> str:
    return v22_names()[accession]


def bare(name: str) -> str:
    return name.split("-", 1)[1]


def resolve(name: str, taxon_id: str | None) -> Resolution:
    return table().resolve(name, taxon_id)


def same(a: Resolution, b: Resolution) -> bool:
    return (a.accession, a.reason, a.candidates) == (b.accession, b.reason, b.candidates)


def accessions(result: Resolution) -> set[str]:
    return {c.accession for c in result.candidates}


# ----------------------------------------------------------------------------- names miRBase has
def test_every_v22_mature_name_resolves_to_its_accession() -> None:
    for row in v22_matures():
        result = resolve(row["name"], taxon(row))
        assert result.resolved and result.accession == row["accession"], row
        assert result.name_v22 == row["name"] and mirbase.V22 in result.steps
        assert mirbase.PREFIX not in result.steps


def test_species_prefix_is_added_from_the_taxon() -> None:
    for row in v22_matures():
        result = resolve(bare(row["name"]), taxon(row))
        assert result.accession == row["accession"], row
        assert mirbase.PREFIX in result.steps


def test_previous_names_resolve_to_the_accession_they_had() -> None:
    checked = 0
    for name, entries in by_name().items():
        matures = [r for r in entries if r["type"] == "mature"]
        live = {r["accession"] for r in matures if r["current_name_v22"]}
        if len(live) != 1 or any(r["name"] == r["current_name_v22"] for r in matures):
            continue
        result = resolve(matures[0]["name"], taxon(matures[0]))
        assert result.accession == live.pop(), name
        assert mirbase.PREVIOUS in result.steps
        checked += 1
    assert checked > 500


def test_star_forms_resolve_through_history() -> None:
    stars = [r for r in rows() if r["name"].endswith("*") and r["current_name_v22"]]
    assert stars
    for row in stars:
        if len({r["accession"] for r in by_name()[row["name"].casefold()] if r["current_name_v22"]}) > 1:
            continue
        result = resolve(bare(row["name"]), taxon(row))
        assert result.accession == row["accession"] and mirbase.STAR in result.steps, row


def test_a_name_earlier_versions_gave_two_accessions_is_ambiguous() -> None:
    checked = 0
    for entries in by_name().values():
        matures = [r for r in entries if r["type"] == "mature"]
        live = {r["accession"] for r in matures if r["current_name_v22"]}
        if len(live) < 2 or any(r["name"] == r["current_name_v22"] for r in matures):
            continue
        result = resolve(matures[0]["name"], taxon(matures[0]))
        assert not result.resolved and result.reason == mirbase.AMBIGUOUS_HISTORY
        assert accessions(result) == live
        checked += 1
    assert checked > 10


def test_a_v22_name_wins_over_earlier_uses_of_the_same_name() -> None:
    checked = 0
    for entries in by_name().values():
        current = [r for r in entries if r["type"] == "mature" and r["name"] == r["current_name_v22"]]
        others = {r["accession"] for r in entries if r["type"] == "mature"} - {r["accession"] for r in current}
        if current and others:
            assert resolve(current[0]["name"], taxon(current[0])).accession == current[0]["accession"]
            checked += 1
    assert checked > 0


def test_names_of_removed_entries_say_so() -> None:
    checked = 0
    for entries in by_name().values():
        if all(not r["current_name_v22"] for r in entries) and not entries[0]["name"].endswith("*"):
            assert resolve(entries[0]["name"], taxon(entries[0])).reason == mirbase.REMOVED, entries[0]
            checked += 1
    assert checked > 50


# ----------------------------------------------------------------------------- precursors
def mature_named_alike(row: dict[str, str]) -> bool:
    """let-7 names: a precursor and an old mature name spelled alike (the mature is meant)."""
    return any(r["type"] == "mature" and r["name"] == row["name"] for r in by_name()[row["name"].casefold()])


def test_precursor_with_one_mature_resolves_to_it() -> None:
    checked = 0
    for row in v22_precursors():
        products = row["mature_accessions"].split(";")
        if len(products) == 1 and not mature_named_alike(row):
            result = resolve(row["name"], taxon(row))
            assert result.accession == products[0] and mirbase.SINGLE in result.steps, row
            assert result.precursors == (row["accession"],)
            checked += 1
    assert checked > 500


def test_precursor_with_two_matures_is_ambiguous_between_arms() -> None:
    for row in v22_precursors():
        products = set(row["mature_accessions"].split(";"))
        if len(products) == 2 and not mature_named_alike(row):
            result = resolve(row["name"], taxon(row))
            assert result.reason == mirbase.AMBIGUOUS_ARM and accessions(result) == products, row
            assert result.precursors == (row["accession"],)


def test_precursor_name_with_an_arm_resolves_to_that_arms_mature() -> None:
    checked = 0
    for row in v22_precursors():
        for accession in row["mature_accessions"].split(";"):
            arm = re.search(r"-([35]p)$", v22_name(accession))
            query = f"{row['name']}-{arm.group(1)}" if arm else ""
            if not arm or query.casefold() in by_name():
                continue
            result = resolve(query, taxon(row))
            assert result.accession == accession and mirbase.ARM in result.steps, query
            checked += 1
    assert checked > 100


def test_an_arm_miRBase_does_not_annotate_is_not_guessed() -> None:
    checked = 0
    for row in v22_precursors():
        products = row["mature_accessions"].split(";")
        if len(products) != 1 or v22_name(products[0]).endswith(("-5p", "-3p")):
            continue
        query = v22_name(products[0]) + "-5p"
        if query.casefold() in by_name():
            continue
        result = resolve(query, taxon(row))
        assert result.reason == mirbase.ARM_NOT_ANNOTATED and accessions(result) == set(products), query
        checked += 1
    assert checked > 100


def paralog_groups() -> dict[str, list[dict[str, str]]]:
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in v22_precursors():
        match = re.match(r"^(.+-\d+[a-z]*)-\d+$", row["name"])
        if match:
            groups[match.group(1)].append(row)
    precursors = {r["name"].casefold() for r in rows() if r["type"] == "precursor"}
    return {base: group for base, group in groups.items() if base.casefold() not in precursors}


def test_paralogs_with_the_same_one_product_resolve() -> None:
    checked = 0
    for base, group in paralog_groups().items():
        products = {a for r in group for a in r["mature_accessions"].split(";")}
        if len(products) == 1 and len(group) > 1:
            result = resolve(base, taxon(group[0]))
            assert result.accession == products.pop() and mirbase.PARALOGS in result.steps, base
            assert result.precursors == tuple(sorted(r["accession"] for r in group))
            checked += 1
    assert checked > 5


def test_paralogs_of_a_precursor_name_with_different_products_are_ambiguous() -> None:
    checked = 0
    for base, group in paralog_groups().items():
        products = {a for r in group for a in r["mature_accessions"].split(";")}
        if len(products) > 1 and "-mir-" in base:  # (let-7a is the old mature name, not the paralogs)
            result = resolve(base, taxon(group[0]))
            assert not result.resolved and accessions(result) == products, base
            checked += 1
    assert checked > 10


def test_old_name_without_arm_resolves_when_its_v22_name_has_the_arm() -> None:
    checked = 0
    for entries in by_name().values():
        matures = [r for r in entries if r["type"] == "mature"]
        live = {r["accession"] for r in matures if r["current_name_v22"]}
        if len(live) != 1 or any(r["name"] == r["current_name_v22"] for r in matures) or "*" in matures[0]["name"]:
            continue
        accession = live.pop()
        arm = re.search(r"-([35]p)$", v22_name(accession))
        query = f"{matures[0]['name']}-{arm.group(1)}" if arm else ""
        if arm and query.casefold() not in by_name() and not re.search(r"-[35]p$", matures[0]["name"]):
            result = resolve(query, taxon(matures[0]))
            assert result.accession == accession and mirbase.ARM_AGREES in result.steps, query
            checked += 1
    assert checked > 20


# ----------------------------------------------------------------------------- spelling
def test_mir_spellings_other_than_miRBase_s_are_case_normalised() -> None:
    for row in v22_matures()[::25]:
        for spelling in ("MiR", "MIR", "Mir"):
            variant = row["name"].replace("-miR-", f"-{spelling}-")
            if variant == row["name"]:
                continue
            result = resolve(variant, taxon(row))
            assert result.accession == row["accession"] and mirbase.CASE in result.steps, variant
        if row["name"].endswith("p"):
            assert resolve(row["name"][:-1] + "P", taxon(row)).accession == row["accession"]


def test_lower_case_mir_names_the_precursor() -> None:
    for row in v22_matures()[::25]:
        if "-miR-" not in row["name"]:
            continue
        as_precursor = row["name"].replace("-miR-", "-mir-")
        result = resolve(as_precursor, taxon(row))
        precursor = [r for r in by_name()[as_precursor.casefold()] if r["type"] == "precursor"]
        precursor = precursor or paralog_groups().get(as_precursor, [])
        if precursor:  # hsa-mir-21: the hairpin, not the old mature name hsa-miR-21
            assert result.precursors == tuple(sorted(r["accession"] for r in precursor if r["current_name_v22"]))
        else:  # hsa-mir-21-5p: no hairpin is named so; the mature is meant
            assert result.accession == row["accession"] and mirbase.CASE in result.steps


def test_hgnc_symbols_resolve_as_the_miRBase_name() -> None:
    checked = 0
    for row in v22_precursors():
        match = re.fullmatch(r"hsa-(mir|let)-(\d+)([a-z]*)(?:-(\d+))?", row["name"])
        if not match:
            continue
        kind, number, letters, paralog = match.groups()
        separator = "-" if paralog and not letters else ""  # HGNC writes MIR1-1 but MIR199A1
        symbol = "MIR" + ("LET" if kind == "let" else "") + number + letters.upper() + separator + (paralog or "")
        plain = ("let" if kind == "let" else "miR") + f"-{number}{letters}" + (f"-{paralog}" if paralog else "")
        result = resolve(symbol, HUMAN)
        assert same(result, resolve(plain, HUMAN)), symbol
        assert (mirbase.CASE if separator else mirbase.HGNC) in result.steps, symbol
        checked += 1
    assert checked > 1000


def test_white_space_and_separators_are_normalised() -> None:
    for row in v22_matures()[::50]:
        name = row["name"]
        spaced = f" \u00a0{name[:5]} {name[5:]}\r "
        result = resolve(spaced, taxon(row))
        assert result.accession == row["accession"] and mirbase.SPACES in result.steps, spaced
        if re.search(r"-[35]p$", name) and "." not in name:
            dotted = name.replace("-", ".")
            assert resolve(dotted, taxon(row)).accession == row["accession"], dotted
            assert mirbase.SEPARATORS in resolve(dotted, taxon(row)).steps


def test_an_arm_glued_to_the_number_gets_its_dash() -> None:
    checked = 0
    for row in v22_matures():
        match = re.fullmatch(r"(\w+-miR-\d+[a-z]?)-([35]p)", row["name"])
        if match and (match.group(1) + match.group(2)).casefold() not in by_name():
            result = resolve(bare(match.group(1) + match.group(2)), taxon(row))
            assert result.accession == row["accession"] and mirbase.ARM_DASH in result.steps
            checked += 1
    assert checked > 100


def test_leading_zeros_and_an_arm_before_the_paralog_number() -> None:
    zero = resolve("miR-021", HUMAN)
    assert same(zero, resolve("miR-21", HUMAN)) and mirbase.ZEROS in zero.steps
    swapped = resolve("miR-101-3p-1", HUMAN)
    assert same(swapped, resolve("miR-101-1-3p", HUMAN)) and mirbase.ARM_LAST in swapped.steps
    assert swapped.resolved


def test_let_7_and_mir_let_spellings() -> None:
    for row in v22_matures():
        if "-let-" in row["name"]:
            assert resolve(bare(row["name"]), taxon(row)).accession == row["accession"]
            assert resolve("miR-" + bare(row["name"]), taxon(row)).accession == row["accession"]


# ----------------------------------------------------------------------------- species
def test_prefix_and_taxon_must_agree() -> None:
    human = next(r for r in v22_matures() if r["species"] == "hsa")
    assert resolve(human["name"], MOUSE).reason == mirbase.MISMATCH
    assert resolve(human["name"], None).accession == human["accession"]  # the prefix decides
    assert resolve(human["name"].upper().replace("-MIR-", "-miR-"), None).accession == human["accession"]
    assert resolve(bare(human["name"]), None).reason == mirbase.NO_SPECIES
    assert resolve(bare(human["name"]), "9913").reason == mirbase.NOT_COVERED
    assert resolve("rno-" + bare(human["name"]), None).reason == mirbase.NOT_COVERED


def test_the_same_bare_name_resolves_per_species() -> None:
    pairs = 0
    human = {bare(r["name"]): r["accession"] for r in v22_matures() if r["species"] == "hsa"}
    for row in v22_matures():
        if row["species"] == "mmu" and bare(row["name"]) in human:
            assert resolve(bare(row["name"]), MOUSE).accession == row["accession"]
            assert resolve(bare(row["name"]), HUMAN).accession == human[bare(row["name"])]
            pairs += 1
    assert pairs > 500


# ----------------------------------------------------------------------------- not one miRNA
def test_a_family_name_is_not_resolved() -> None:
    result = resolve("let-7", HUMAN)
    members = {
        a
        for r in v22_precursors()
        if re.fullmatch(r"hsa-let-7[a-z]+(-\d+)?", r["name"])
        for a in r["mature_accessions"].split(";")
    }
    assert result.reason == mirbase.FAMILY and accessions(result) == members
    five = resolve("let-7-5p", HUMAN)
    assert five.reason == mirbase.FAMILY and accessions(five) == {a for a in members if v22_name(a).endswith("-5p")}


def test_clusters_and_lists_are_not_resolved() -> None:
    for name in ("miR-17-92", "miR-17~92", "miR-106b-25", "miR-221/222", "hsa-miR-365a-3p;hsa-miR-365b-3p"):
        assert resolve(name, HUMAN).reason == mirbase.CLUSTER, name
    paralog = resolve("miR-24-2", HUMAN)  # a paralog number, not a cluster
    assert paralog.reason == mirbase.AMBIGUOUS_ARM and paralog.precursors


def test_names_miRBase_never_had_and_other_RNAs() -> None:
    assert resolve("miR-99999", HUMAN).reason == mirbase.UNKNOWN
    for other in ("CD63", "LINC00662", "hsa_piR_016658", "snoRNA135", ""):
        assert resolve(other, HUMAN).reason == mirbase.NOT_MIRNA, other


def test_a_malformed_table_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / mirbase.TABLE
    bad.write_text("# x\nname\taccession\n", encoding="utf-8")
    with pytest.raises(InputError):
        mirbase.load(bad)
    bad.write_text("\t".join(mirbase.COLUMNS) + "\nhsa-miR-1\tMIMAT1\tgene\thsa\t9606\tv22\t\t\n", encoding="utf-8")
    with pytest.raises(InputError):
        mirbase.load(bad)


# ----------------------------------------------------------------------------- against ../shared
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason=f"reference data not found at {REF}")


@needs_ref
def test_the_table_is_what_the_reference_files_give() -> None:
    shipped = [tuple(r[c] for c in mirbase_table.COLUMNS) for r in rows()]
    assert shipped == mirbase_table.derive(REF)
    header = [line for line in TABLE.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    text = "\n".join(header)
    for source in (mirbase_table.HISTORY, mirbase_table.PRECURSORS, mirbase_table.MATURES):
        assert source in text
    assert "taoshengxu/miRBaseConverter" in text and "miRBase v22" in text and "2026-12-03" in text


@needs_ref
def test_every_v22_entry_of_the_reference_is_in_the_table() -> None:
    def read(name: str) -> list[dict[str, str]]:
        with (REF / name).open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))

    current = {(r["accession"], r["name"]): r for r in rows() if r["name"] == r["current_name_v22"]}
    for mature in read(mirbase_table.MATURES):
        row = current[mature["mature_accession"], mature["name_v22"]]
        assert (row["type"], row["species"], row["taxon_id"]) == ("mature", mature["species"], mature["taxon_id"])
    for precursor in read(mirbase_table.PRECURSORS):
        row = current[precursor["precursor_accession"], precursor["name_v22"]]
        assert row["mature_accessions"] == precursor["mature_accessions"] and row["taxon_id"] == precursor["taxon_id"]


@needs_ref
def test_hgnc_mir_gene_symbols_resolve_within_their_precursor() -> None:
    """Every HGNC MIR gene symbol of the reference HGNC file gives a mature product of the precursor
    HGNC links it to, or is reported ambiguous naming that precursor."""
    with gzip.open(REF / "hgnc_genes_2019.tsv.gz", "rt", encoding="utf-8", newline="") as handle:
        genes = [r for r in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE) if r["mirbase"]]
    products = {r["accession"]: set(r["mature_accessions"].split(";")) for r in v22_precursors()}
    checked = 0
    for gene in genes:
        if gene["status"] != "Approved" or gene["mirbase"] not in products or not gene["symbol"].startswith("MIR"):
            continue
        result = resolve(gene["symbol"], HUMAN)
        if result.resolved:
            assert result.accession in products[gene["mirbase"]], gene["symbol"]
        else:  # ambiguous within the precursor (its arms, or an old mature name of either arm)
            assert result.candidates and accessions(result) <= products[gene["mirbase"]], (gene["symbol"], result)
        checked += 1
    assert checked > 1000


@pytest.mark.skipif(not SAMPLE.is_file(), reason=f"Vesiclepedia sample not found at {SAMPLE}")
def test_the_vesiclepedia_sample_resolves() -> None:
    lines = SAMPLE.read_bytes().decode("utf-8").split("\n")  # lone carriage returns sit inside cells
    header = lines[0].split("\t")
    name_at, species_at = header.index("MIRNA ID"), header.index("SPECIES")
    taxa = {"Homo sapiens": HUMAN, "Mus musculus": MOUSE}
    counts: dict[str, list[bool]] = defaultdict(list)
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) > species_at and cells[species_at].strip() in taxa:
            species = taxa[cells[species_at].strip()]
            counts[species].append(resolve(cells[name_at], species).resolved)
    for species in (HUMAN, MOUSE):
        assert len(counts[species]) > 30
        assert sum(counts[species]) / len(counts[species]) >= 0.9, species
