"""Resolution of miRNA names, as EV databases write them, to miRBase v22 mature accessions (MIMAT).

The table is ``data/mappings/mirbase/mirbase_v22_names.tsv`` (callers find it under
``settings.root / 'data' / 'mappings' / 'mirbase'``; ``exoowl.mirbase_table`` derives it): every
(name, accession) pair miRBase v6–v22 used for human (hsa, taxon 9606) and mouse (mmu, 10090).

A download row names the miRNA found as cargo, so what is wanted is a mature product:

- a mature name (v22 or an earlier one, ``*`` star forms included) gives its accession; a name that
  earlier versions gave to different accessions is ambiguous, unless it is the v22 name of one of them;
- a precursor name (``mir``, ``let-7a-1``, paralogs ``-1``/``-2``) gives its mature product when it has
  exactly one, or when the name gives the arm (``-5p``/``-3p``); paralogs giving the same mature agree;
- ``miR-X-5p`` where miRBase has ``miR-X`` only is resolved when ``miR-X``'s v22 name has that arm;
- nothing else is guessed: a precursor with two products, a family (``let-7``, ``miR-26``), a cluster
  (``miR-17-92``), an arm miRBase does not annotate, a name miRBase never had, are reported with why.

Spelling is normalised first: white space dropped, ``.``/``_`` separators, ``MiR``/``MIR`` and HGNC
symbols (``MIR21`` → ``miR-21``, ``MIRLET7A1`` → ``let-7a-1``), ``-5P``, a missing dash before the arm
(``miR-27a3p``). A species prefix (``hsa-``) must agree with the taxon when both are given; without
a taxon the prefix decides; without either the species is unknown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

TABLE = "mirbase_v22_names.tsv"
COLUMNS = ("name", "accession", "type", "species", "taxon_id", "versions", "current_name_v22", "mature_accessions")

# How a name was resolved (Resolution.steps), in the order they were applied.
SPACES = "spaces-removed"
SEPARATORS = "separators-normalised"  # hsa.miR.378a.3p, miR-211.5p
CASE = "case-normalised"  # MiR-21, MIR-21, miR-21-5P
HGNC = "hgnc-symbol"  # MIR21 → miR-21, MIRLET7A1 → let-7a-1
ARM_DASH = "arm-dash-added"  # miR-27a3p → miR-27a-3p
ZEROS = "leading-zeros-removed"  # miR-021 → miR-21
ARM_LAST = "arm-put-last"  # miR-101-3p-1 → miR-101-1-3p
PREFIX = "species-prefix-added"
V22 = "v22-name"
PREVIOUS = "previous-name"
STAR = "star-via-history"
SINGLE = "precursor-single-mature"
ARM = "precursor-arm"
ARM_AGREES = "arm-agrees"  # miR-103-3p: miR-103's v22 name is miR-103a-3p
PARALOGS = "paralogs-agree"

# Why a name was not resolved (Resolution.reason).
NOT_MIRNA = "not-a-mirna-name"
NO_SPECIES = "no-species"
NOT_COVERED = "species-not-covered"
MISMATCH = "species-mismatch"
UNKNOWN = "unknown-name"
REMOVED = "removed-from-mirbase"
AMBIGUOUS_ARM = "ambiguous-arm"
AMBIGUOUS_HISTORY = "ambiguous-history"
AMBIGUOUS_PARALOG = "ambiguous-paralog"
FAMILY = "family"
CLUSTER = "cluster"
ARM_NOT_ANNOTATED = "arm-not-annotated"

_NAME = re.compile(
    r"^(?:(?!(?:mir|let)-)(?P<prefix>[A-Za-z]{2,4}\d?)-)?(?P<token>mir|let)(?P<dash>-?)(?P<rest>.+)$",
    re.IGNORECASE,
)
_HGNC = re.compile(r"^(?P<number>\d+)(?P<letters>[A-Z]*)(?P<paralog>\d*)$")
_ARM = re.compile(r"^(?P<base>.+)-(?P<arm>[35]p)$", re.IGNORECASE)
_GLUED_ARM = re.compile(r"(?<=[0-9a-z])(?P<arm>[35]p)$", re.IGNORECASE)
_DOT_ARM = re.compile(r"[._](?P<arm>[35]p)$", re.IGNORECASE)
_LIST = re.compile(r"[~/,;&+]")
_ARM_PARALOG = re.compile(r"^(?P<base>.+)-(?P<arm>[35]p)-(?P<paralog>\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One row of the table: a name miRBase gave an accession."""

    name: str
    accession: str
    type: str  # 'mature' or 'precursor'
    species: str
    taxon: str
    versions: str
    current_name: str  # the accession's v22 name; '' when removed before v22
    matures: tuple[str, ...]  # a v22 precursor's mature products (MIMAT)


@dataclass(frozen=True, order=True)
class Candidate:
    accession: str
    name_v22: str


@dataclass(frozen=True)
class Resolution:
    """What a name resolved to (``accession``, ``name_v22``) and how (``steps``), or why not
    (``reason``, with ``candidates`` when the name fits several mature products)."""

    name: str
    taxon: str | None
    accession: str | None = None
    name_v22: str | None = None
    species: str | None = None  # 'hsa' or 'mmu': the species the name was looked up in
    query: str | None = None  # the miRBase-style name looked up, after normalising
    steps: tuple[str, ...] = ()
    reason: str | None = None
    candidates: tuple[Candidate, ...] = ()
    precursors: tuple[str, ...] = ()  # the v22 precursors (MI) the name named, when it named precursors

    @property
    def resolved(self) -> bool:
        return self.accession is not None


@dataclass(frozen=True)
class _Outcome:
    """A lookup's answer before it is dressed as a Resolution."""

    accessions: frozenset[str] = frozenset()
    steps: tuple[str, ...] = ()
    reason: str | None = None
    candidates: frozenset[str] = frozenset()
    precursors: frozenset[str] = frozenset()


@dataclass
class MiRBase:
    """The loaded table and the indexes resolution uses."""

    path: Path
    by_key: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    paralogs: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    families: dict[str, list[Entry]] = field(default_factory=lambda: defaultdict(list))
    v22_names: dict[str, str] = field(default_factory=dict)  # accession → v22 name
    taxa: dict[str, str] = field(default_factory=dict)  # species code → NCBI taxon
    max_paralog: int = 0

    def add(self, entry: Entry) -> None:
        self.by_key[entry.name.casefold()].append(entry)
        self.taxa[entry.species] = entry.taxon
        if entry.current_name:
            self.v22_names[entry.accession] = entry.current_name
        if entry.type != "precursor":
            return
        paralog = re.match(r"^(.+-\d+[a-z]*)-(\d+)$", entry.name)
        if paralog:  # hsa-mir-199a-1 → hsa-mir-199a
            self.paralogs[paralog.group(1).casefold()].append(entry)
            self.max_paralog = max(self.max_paralog, int(paralog.group(2)))
        family = re.match(r"^(.+-\d+)[a-z]+(?:-\d+)?$", entry.name)
        if family:  # hsa-mir-26a-1, hsa-mir-26b → hsa-mir-26
            self.families[family.group(1).casefold()].append(entry)

    def find(self, name: str, kind: str) -> list[Entry]:
        """The entries of one type whose name is ``name`` up to case."""
        return [e for e in self.by_key.get(name.casefold(), ()) if e.type == kind]

    def candidates(self, accessions: Iterable[str]) -> tuple[Candidate, ...]:
        return tuple(sorted(Candidate(a, self.v22_names[a]) for a in accessions))

    def resolve(self, name: str, taxon: str | None) -> Resolution:
        """Resolve a name as written, in the species of NCBI taxon ``taxon`` ('9606', '10090', other, None)."""
        text, steps = _spelling(name)
        parsed = _NAME.match(text)
        if not parsed:
            return Resolution(name, taxon, steps=steps, reason=NOT_MIRNA)
        species, why = self._species(parsed.group("prefix"), taxon)
        if species is None:
            return Resolution(name, taxon, steps=steps, reason=why)
        if parsed.group("prefix") is None:
            steps += (PREFIX,)
        token, rest, more = _canonical(parsed.group("token"), parsed.group("dash"), parsed.group("rest"))
        steps += more
        query = f"{species}-{token}-{rest}"
        outcome = self._lookup(species, token, rest)
        found = sorted(outcome.accessions)
        if len(found) == 1 and outcome.reason is None:
            accession = found[0]
            v22 = self.v22_names[accession]
            precursors = tuple(sorted(outcome.precursors))
            return Resolution(name, taxon, accession, v22, species, query, steps + outcome.steps, precursors=precursors)
        return Resolution(
            name,
            taxon,
            species=species,
            query=query,
            steps=steps + outcome.steps,
            reason=outcome.reason or UNKNOWN,
            candidates=self.candidates(outcome.candidates),
            precursors=tuple(sorted(outcome.precursors)),
        )

    def _species(self, prefix: str | None, taxon: str | None) -> tuple[str | None, str]:
        """The species code the name is looked up in, or why there is none."""
        by_taxon = {t: s for s, t in self.taxa.items()}
        if prefix is not None:
            code = prefix.lower()
            if code not in self.taxa:
                return None, NOT_COVERED
            if taxon is not None and taxon != self.taxa[code]:
                return None, MISMATCH
            return code, ""
        if taxon is None:
            return None, NO_SPECIES
        return by_taxon.get(taxon), NOT_COVERED

    def _lookup(self, species: str, token: str, rest: str) -> _Outcome:
        """Resolve ``species-token-rest`` (token 'miR', 'mir' or 'let') by the rules above: a name
        spelled ``mir`` is first taken as a precursor (or its paralogs), any other as a mature name."""
        head = "let" if token == "let" else None
        mature = f"{species}-{head or 'miR'}-{rest}"
        precursor = f"{species}-{head or 'mir'}-{rest}"
        matures, precursors = self.find(mature, "mature"), self.find(precursor, "precursor")
        paralogs = self.paralogs.get(precursor.casefold(), [])
        if token == "mir" and (precursors or paralogs):
            return self._from_precursors(precursors or paralogs, None)
        if matures:
            case = (CASE,) if token == "mir" or not any(e.name == mature for e in matures) else ()
            outcome = self._from_matures(matures)
            return _Outcome(outcome.accessions, case + outcome.steps, outcome.reason, outcome.candidates)
        if precursors:
            outcome = self._from_precursors(precursors, None)
            case = (CASE,) if not any(e.name == precursor for e in precursors) else ()
            return _Outcome(
                outcome.accessions, case + outcome.steps, outcome.reason, outcome.candidates, outcome.precursors
            )
        arm = _ARM.match(rest)
        if arm:
            return self._with_arm(species, head, arm.group("base"), arm.group("arm").lower())
        if paralogs:
            return self._from_precursors(paralogs, None)
        return self._unfound(species, precursor, None)

    def _with_arm(self, species: str, head: str | None, base: str, arm: str) -> _Outcome:
        """``base-arm`` is no miRBase name: the arm picks among what ``base`` names."""
        old = self._from_matures(self.find(f"{species}-{head or 'miR'}-{base}", "mature"))
        if old.reason is None and len(old.accessions) == 1 and self._on_arm(old.accessions, arm):
            return _Outcome(old.accessions, (*old.steps, ARM_AGREES))
        precursor = f"{species}-{head or 'mir'}-{base}"
        entries = self.find(precursor, "precursor") or self.paralogs.get(precursor.casefold(), [])
        if entries:
            return self._from_precursors(entries, arm)
        return self._unfound(species, precursor, arm)

    def _unfound(self, species: str, precursor: str, arm: str | None) -> _Outcome:
        """Why a name that matched nothing is not one miRNA: a family, a cluster, or unknown."""
        family = self.families.get(precursor.casefold(), [])
        if family:
            products = {m for e in family for m in e.matures}
            return _Outcome(reason=FAMILY, candidates=self._on_arm(products, arm) if arm else frozenset(products))
        rest = precursor.split("-", 2)[2]
        if _LIST.search(rest) or self._is_cluster(species, rest):
            return _Outcome(reason=CLUSTER)
        return _Outcome(reason=UNKNOWN)

    def _is_cluster(self, species: str, rest: str) -> bool:
        """``17-92``, ``106b-25``: dash-separated parts each naming a known miRNA, one of them a number
        larger than any paralog number miRBase uses (so not ``miR-24-2``)."""
        parts = rest.split("-")
        if len(parts) < 2 or not all(re.fullmatch(r"\d+[a-z]*", p) for p in parts):
            return False
        numbers = [int(re.sub(r"\D+$", "", p)) for p in parts[1:]]
        known = all(
            self.find(f"{species}-mir-{p}", "precursor")
            or self.paralogs.get(f"{species}-mir-{p}".casefold())
            or self.families.get(f"{species}-mir-{p}".casefold())
            for p in parts
        )
        return known and max(numbers) > self.max_paralog

    def _from_matures(self, entries: list[Entry]) -> _Outcome:
        """Mature names: their v22 accession (a v22 name wins over earlier uses of the same name)."""
        if not entries:
            return _Outcome(reason=UNKNOWN)
        star = (STAR,) if any(e.name.endswith("*") for e in entries) else ()
        current = [e for e in entries if e.current_name.casefold() == e.name.casefold()]
        if current:
            return _Outcome(frozenset(e.accession for e in current), (V22,))
        live = frozenset(e.accession for e in entries if e.current_name)
        if not live:
            return _Outcome(reason=REMOVED)
        if len(live) > 1:
            return _Outcome(reason=AMBIGUOUS_HISTORY, candidates=live)
        return _Outcome(live, (PREVIOUS, *star))

    def _from_precursors(self, entries: list[Entry], arm: str | None) -> _Outcome:
        """Precursor names: their one mature product, or the one on the given arm."""
        live = [e for e in entries if e.current_name]
        if not live:
            return _Outcome(reason=REMOVED)
        current = {e.name for e in live if e.name == e.current_name}
        live = [e for e in live if e.name == e.current_name or e.name not in current]  # a v22 name wins
        named = frozenset(e.accession for e in live)
        agree = (PARALOGS,) if len(named) > 1 else ()
        products = frozenset(m for e in live for m in e.matures)
        if arm is None:
            if len(products) == 1:
                return _Outcome(products, (SINGLE, *agree), precursors=named)
            return _Outcome(reason=AMBIGUOUS_ARM, candidates=products, precursors=named)
        on_arm = self._on_arm(products, arm)
        if len(on_arm) == 1:
            return _Outcome(on_arm, (ARM, *agree), precursors=named)
        if on_arm:
            return _Outcome(reason=AMBIGUOUS_PARALOG, candidates=on_arm, precursors=named)
        return _Outcome(reason=ARM_NOT_ANNOTATED, candidates=products, precursors=named)

    def _on_arm(self, accessions: Iterable[str], arm: str) -> frozenset[str]:
        """The accessions whose v22 name ends with the arm (``-5p``/``-3p``)."""
        return frozenset(a for a in accessions if self.v22_names[a].endswith(f"-{arm}"))


def _spelling(name: str) -> tuple[str, tuple[str, ...]]:
    """The name without white space and with ``-`` separators, and the steps that took."""
    steps: tuple[str, ...] = ()
    stripped = name.strip()
    text = "".join(stripped.split())
    if text != stripped:
        steps += (SPACES,)
    # hsa.miR.378a.3p: with no dash every dot or underscore separates; else only one before the arm
    # (miR-211.5p), as mmu-miR-1982.1 is a miRBase name
    text_ = re.sub(r"[._]", "-", text) if "-" not in text else _DOT_ARM.sub(r"-\g<arm>", text)
    separated = re.sub(r"^([A-Za-z]{2,4}\d?)[._](?=(?:mir|let)[._-])", r"\1-", text_, flags=re.IGNORECASE)
    separated = re.sub(r"^((?:[A-Za-z]{2,4}\d?-)?(?:mir|let))[._]", r"\1-", separated, flags=re.IGNORECASE)
    if separated != text:
        steps += (SEPARATORS,)
    return separated, steps


def _canonical(token: str, dash: str, rest: str) -> tuple[str, str, tuple[str, ...]]:
    """miRBase's spelling of token and rest: ``mir`` (precursor) and ``let`` stay, other spellings of
    ``mir`` become ``miR``; HGNC symbols become miRBase names; the arm is put last, with its dash."""
    steps: tuple[str, ...] = ()
    upper = token.isupper() and not dash  # MIR21, MIRLET7A1: an HGNC symbol
    if token.lower() == "mir" and rest[:3].lower() == "let":  # MIRLET7A1, miR-let-7a-5p
        token, rest = rest[:3], rest[3:].removeprefix("-")
    hgnc = _HGNC.match(rest) if upper else None
    if hgnc:
        paralog = f"-{hgnc.group('paralog')}" if hgnc.group("paralog") else ""
        rest = hgnc.group("number") + hgnc.group("letters").lower() + paralog
        steps += (HGNC,)
    canonical = "let" if token.lower() == "let" else "mir" if token == "mir" else "miR"
    if token != canonical and not hgnc:
        steps += (CASE,)
    if re.match(r"^0+\d", rest):
        rest = re.sub(r"^0+(?=\d)", "", rest)
        steps += (ZEROS,)
    moved = _ARM_PARALOG.match(rest)
    if moved:
        rest = f"{moved.group('base')}-{moved.group('paralog')}-{moved.group('arm')}"
        steps += (ARM_LAST,)
    if not _ARM.match(rest) and _GLUED_ARM.search(rest) and rest[0].isdigit():
        rest = _GLUED_ARM.sub(r"-\g<arm>", rest)
        steps += (ARM_DASH,)
    return canonical, rest, steps


def load(path: Path) -> MiRBase:
    """Read the table (``mirbase_v22_names.tsv``): ``#`` comment lines, a header, one row per entry."""
    lines = path.read_text(encoding="utf-8").splitlines()
    body = [(n, line) for n, line in enumerate(lines, 1) if line and not line.startswith("#")]
    if not body or tuple(body[0][1].split("\t")) != COLUMNS:
        raise InputError("the header row must be " + "\t".join(COLUMNS), path)
    table = MiRBase(path)
    for number, line in body[1:]:
        cells = line.split("\t")
        if len(cells) != len(COLUMNS) or cells[2] not in ("mature", "precursor"):
            raise InputError(f"a row of {len(COLUMNS)} cells with type mature or precursor expected", path, number)
        name, accession, kind, species, taxon, versions, current, matures = cells
        products = tuple(m for m in matures.split(";") if m)
        table.add(Entry(name, accession, kind, species, taxon, versions, current, products))
    return table
