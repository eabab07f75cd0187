"""What a SPARQL request asks for, read without running it: its form, dataset clauses and SERVICE calls.

pyoxigraph exposes no algebra, so a tokenizer reads the text: strings, IRIs and comments are
single tokens, so a ``SERVICE`` or ``FROM`` inside them is never mistaken for a keyword. Where the
raw text mentions ``SERVICE`` (or ``LOAD``) but the tokenizer found no such keyword, the parser
confirms it: the word is renamed everywhere and the text parsed (never run against data); if the
renamed text no longer parses, the word was a keyword after all and the request is refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator
from urllib.parse import urljoin

import pyoxigraph as ox

from .errors import QuerySyntaxError, RefusedQuery

_PN = r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD"
_NAME = rf"[{_PN}0-9_\-\u00B7\u0300-\u036F\u203F-\u2040]"
_LOCAL = rf"(?:{_NAME}|:|%[0-9A-Fa-f]{{2}}|\\.)"
_TOKEN = re.compile(rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]{_NAME}+)
  | (?P<bnode>_:(?:{_NAME}|\.(?={_NAME}))*)
  | (?P<pname>(?:[{_PN}](?:{_NAME}|\.(?={_NAME}))*)?:(?:{_LOCAL}(?:{_LOCAL}|\.(?={_LOCAL}))*)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
""", re.X | re.S)
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")
SCRATCH_BASE = "http://localhost/"  # resolves relative IRIs when a text is only parsed
# pyoxigraph's parser recurses per bracket and overflows the stack (a segfault that ends the
# worker) somewhere between 2,000 and 4,000 nested brackets; real queries nest a handful deep.
MAX_NESTING = 250
OPENING, CLOSING = "{([", "})]"


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


@dataclass(frozen=True)
class SparqlFeatures:
    """What a query or update names: its form and the graphs and services it reaches."""

    form: str | None
    from_graphs: tuple[str, ...]
    from_named: tuple[str, ...]
    services: tuple[str, ...]
    keywords: frozenset[str]
    nesting: int = 0

    @property
    def declares_dataset(self) -> bool:
        return bool(self.from_graphs or self.from_named)

    def uses(self, *words: str) -> bool:
        return any(w in self.keywords for w in words)


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of a SPARQL text (whitespace and comments dropped)."""
    for found in _TOKEN.finditer(text):
        if found.lastgroup not in ("ws", "comment"):
            yield Token(found.lastgroup or "other", found.group(), found.start())


@lru_cache(maxsize=1024)
def analyse(text: str) -> SparqlFeatures:
    """Read once per distinct text (the endpoint's checks and the store's dataset choice both ask)."""
    toks = list(tokens(text))
    prefixes, base = _prologue(toks)
    resolve = lambda tok: _resolve(tok, prefixes, base)  # noqa: E731
    from_graphs, from_named, services = [], [], []
    for i, tok in enumerate(toks):
        following = toks[i + 1:i + 3]
        if tok.is_word("FROM") and following:
            named = following[0].is_word("NAMED")
            target = following[1] if named and len(following) > 1 else following[0]
            (from_named if named else from_graphs).append(resolve(target))
        elif tok.is_word("SERVICE"):
            target = next((t for t in following if not t.is_word("SILENT")), None)
            services.append(resolve(target) if target else "")
    keywords = frozenset(t.text.upper() for t in toks if t.kind == "word")
    form = next((t.text.upper() for t in toks if t.is_word(*QUERY_FORMS)), None)
    return SparqlFeatures(form, tuple(from_graphs), tuple(from_named), tuple(services), keywords, _nesting(toks))


def _nesting(toks: list[Token]) -> int:
    """How deep braces, parentheses and brackets nest (outside strings, IRIs and comments)."""
    depth = deepest = 0
    for tok in toks:
        if tok.kind == "other" and tok.text in OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif tok.kind == "other" and tok.text in CLOSING:
            depth -= 1
    return deepest


def refuse_deep_nesting(text: str) -> SparqlFeatures:
    """RefusedQuery for a text nested deeper than MAX_NESTING, before any parser sees it."""
    features = analyse(text)
    if features.nesting > MAX_NESTING:
        raise RefusedQuery(f"the request nests brackets {features.nesting} deep; this endpoint reads at most "
                           f"{MAX_NESTING} levels")
    return features


def _prologue(toks: list[Token]) -> tuple[dict[str, str], str]:
    prefixes: dict[str, str] = {}
    base = ""
    for i, tok in enumerate(toks):
        if tok.is_word("BASE") and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            base = urljoin(base, toks[i + 1].text[1:-1])
        elif tok.is_word("PREFIX") and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            prefixes[toks[i + 1].text.rstrip(":")] = urljoin(base, toks[i + 2].text[1:-1])
    return prefixes, base


def _resolve(tok: Token, prefixes: dict[str, str], base: str) -> str:
    """An IRI token or prefixed name as an absolute IRI; anything else (a variable) as written."""
    if tok.kind == "iri":
        return urljoin(base, tok.text[1:-1])
    if tok.kind == "pname":
        prefix, _, local = tok.text.partition(":")
        return prefixes.get(prefix, prefix + ":") + re.sub(r"\\(.)", r"\1", local)
    return tok.text


def mentions(text: str, word: str) -> bool:
    return re.search(rf"(?i)\b{word}\b", text) is not None


def hides_keyword(text: str, word: str, update: bool = False) -> bool:
    """Whether ``word`` is a keyword of a text the tokenizer read otherwise: renamed everywhere,
    the text no longer parses. Parsed against an empty in-memory store, never the data."""
    if not mentions(text, word):
        return False
    renamed = re.sub(rf"(?i)\b{word}\b", lambda m: m.group()[:-1] + "\u00B7", text)
    return _syntax_error(renamed, update, SCRATCH_BASE) is not None


def _syntax_error(text: str, update: bool, base_iri: str | None = None) -> str | None:
    """The parser's message for a text that does not parse, else None. Parsing needs a store:
    the text runs against an empty in-memory one (callers refuse LOAD and SERVICE first)."""
    scratch = ox.Store()
    try:
        scratch.update(text, base_iri=base_iri) if update else scratch.query(text, base_iri=base_iri)
    except SyntaxError as exc:
        return str(exc)
    return None


def check_update_syntax(text: str, base_iri: str | None = None) -> None:
    """QuerySyntaxError when an update does not parse. Call :func:`refuse_unsafe_update` first."""
    message = _syntax_error(text, update=True, base_iri=base_iri)
    if message is not None:
        raise QuerySyntaxError(f"malformed SPARQL Update: {message}")


@dataclass(frozen=True)
class RemoteAccess:
    """What the endpoint may reach beyond its store: SERVICE endpoints, LOAD sources and FROM /
    FROM NAMED graphs it does not hold. ``*`` allows any IRI; otherwise IRI prefixes."""

    prefixes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, setting: str | None) -> "RemoteAccess":
        """From the EXOOWL_ALLOW_REMOTE setting: empty (none), ``*`` (any) or space-separated prefixes;
        ``true`` / ``false`` (the setting's earlier boolean form) mean ``*`` / none."""
        words = (setting or "").split()
        if [w.lower() for w in words] in (["true"], ["yes"], ["1"], ["on"]):
            return cls(("*",))
        if [w.lower() for w in words] in (["false"], ["no"], ["0"], ["off"]):
            return cls()
        return cls(tuple(words))

    @property
    def everything(self) -> bool:
        return "*" in self.prefixes

    @property
    def anything(self) -> bool:
        return bool(self.prefixes)

    def allows(self, iri: str) -> bool:
        return self.everything or any(iri.startswith(p) for p in self.prefixes)


NO_REMOTE = RemoteAccess()


def refuse_unsafe(text: str, graphs: Iterable[str], *, remote: RemoteAccess = NO_REMOTE,
                  dataset_given: bool) -> SparqlFeatures:
    """The query's features, or RefusedQuery for SERVICE calls and FROM / FROM NAMED of graphs
    that are not in the store, unless the allow-list (``remote``) names them. A protocol dataset
    (``default-graph-uri`` / ``named-graph-uri``) replaces FROM clauses, so they are not checked then."""
    features = refuse_deep_nesting(text)
    _refuse_services(text, features, remote, update=False)
    unknown = sorted(g for g in set(features.from_graphs + features.from_named) - set(graphs) if not remote.allows(g))
    if unknown and not dataset_given:
        raise RefusedQuery(f"FROM / FROM NAMED may only name graphs in this store or allowed by EXOOWL_ALLOW_REMOTE; "
                           f"not {', '.join(unknown)} (graphs: {', '.join(sorted(graphs)) or 'none'})")
    return features


def _refuse_services(text: str, features: SparqlFeatures, remote: RemoteAccess, update: bool) -> None:
    """RefusedQuery for a SERVICE the allow-list does not name (a variable endpoint needs ``*``)."""
    denied = [s for s in features.services if not remote.allows(s) or s.startswith(("?", "$"))]
    if remote.everything:
        return
    if denied:
        raise RefusedQuery(f"SERVICE clauses are not allowed on this endpoint (the request calls "
                           f"{', '.join(denied)}): it makes no outbound requests but to the IRIs that "
                           "EXOOWL_ALLOW_REMOTE names")
    if not features.services and hides_keyword(text, "SERVICE", update=update):
        raise RefusedQuery("the request does not parse, or uses SERVICE where this endpoint cannot read it: "
                           "refused (SERVICE clauses are not allowed here)")


def refuse_unsafe_update(text: str, *, remote: RemoteAccess = NO_REMOTE) -> SparqlFeatures:
    """An update's features, or RefusedQuery when it would LOAD a document or call a SERVICE that
    the allow-list (``remote``) does not name."""
    features = refuse_deep_nesting(text)
    _refuse_services(text, features, remote, update=True)
    if remote.everything:
        return features
    sources = load_sources(text)
    denied = [source for source in sources if not remote.allows(source)]
    if denied or (not sources and hides_keyword(text, "LOAD", update=True)):
        raise RefusedQuery(f"LOAD is not allowed on this endpoint ({', '.join(denied) or 'a LOAD it cannot read'}): "
                           "it fetches no documents but from the IRIs that EXOOWL_ALLOW_REMOTE names")
    return features


def load_sources(text: str) -> list[str]:
    """The IRIs an update's LOAD operations would fetch."""
    toks = list(tokens(text))
    prefixes, base = _prologue(toks)
    sources = []
    for i, tok in enumerate(toks):
        if tok.is_word("LOAD"):
            target = next((t for t in toks[i + 1:i + 3] if not t.is_word("SILENT")), None)
            sources.append(_resolve(target, prefixes, base) if target else "")
    return sources


def with_using(text: str, default_graphs: Iterable[str], named_graphs: Iterable[str]) -> str:
    """The update with the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` written as
    USING / USING NAMED clauses of every operation that has a WHERE (SPARQL 1.1 Protocol §2.2.3).

    pyoxigraph takes no dataset for updates, so the clauses go into the text. ``DELETE WHERE { P }``
    cannot carry USING; it is the same as ``DELETE { P } WHERE { P }``, which can."""
    clause = "".join([f"USING <{g}> " for g in default_graphs] + [f"USING NAMED <{g}> " for g in named_graphs])
    if not clause:
        return text
    toks = list(tokens(text))
    edits: list[tuple[int, int, str]] = []
    depth = 0
    for i, tok in enumerate(toks):
        if tok.kind == "other" and tok.text in "{}":
            depth += 1 if tok.text == "{" else -1
        elif depth == 0 and tok.is_word("WHERE"):
            if i and toks[i - 1].is_word("DELETE") and i + 1 < len(toks):
                end = _closing_brace(toks, i + 1)
                pattern = text[toks[i + 1].offset:end]
                edits.append((tok.offset, tok.offset + len(tok.text), f"{pattern} {clause}WHERE"))
            else:
                edits.append((tok.offset, tok.offset, clause))
    for start, stop, replacement in reversed(edits):
        text = text[:start] + replacement + text[stop:]
    return text


def _closing_brace(toks: list[Token], opening: int) -> int:
    """The text offset just after the brace closing the group that opens at ``toks[opening]``."""
    depth = 0
    for tok in toks[opening:]:
        if tok.kind == "other" and tok.text in "{}":
            depth += 1 if tok.text == "{" else -1
            if depth == 0:
                return tok.offset + 1
    raise QuerySyntaxError("malformed SPARQL Update: a '{' is never closed")
