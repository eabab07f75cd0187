"""What a SPARQL request asks for, read without running it, and the rules every query and update
passes before the engine sees it (the CLI, the Python API and the server use one :class:`Policy`).

pyoxigraph exposes no algebra, so a tokenizer that follows the grammar as pyoxigraph parses it
reads the text: strings (``\\uXXXX`` escapes and ECHARs), IRIs (``\\uXXXX`` escapes too), comments,
variables and prefixed names are single tokens, so a ``SERVICE`` or ``FROM`` inside them is never
mistaken for a keyword. Prefixes and the base are applied where they are declared and IRIs are
resolved by pyoxigraph itself, so a SERVICE, LOAD or FROM target is the IRI the engine would use.

Then, unconditionally, pyoxigraph's own parser confirms the reading on a copy of the text in which
every ``service`` / ``load`` that the tokenizer did not read as a keyword is renamed (so a keyword
it missed stops parsing), the SERVICE keywords it found are read as GRAPH, and an update is
prefixed by an operation that fails before any other runs. That copy is run against an empty
in-memory store: it parses exactly when the request does, and it reaches nothing outside.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox

from .errors import QuerySyntaxError, RefusedQuery, UsageError

_PN = (
    r"A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F"
    r"\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF"
)
_NAME = rf"[{_PN}0-9_\-\u00B7\u0300-\u036F\u203F-\u2040]"
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR = r"""\\[tbnrf\\"']"""
_LOCAL = rf"(?:{_NAME}|:|%[0-9A-Fa-f]{{2}}|\\[_~.\-!$&'()*+,;=/?#@%])"
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<string>'''(?:[^'\\]|{_ECHAR}|{_UCHAR}|'(?!''))*'''|\"\"\"(?:[^"\\]|{_ECHAR}|{_UCHAR}|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|{_ECHAR}|{_UCHAR})*'|"(?:[^"\\\n\r]|{_ECHAR}|{_UCHAR})*")
  | (?P<iri><(?:[^<>"{{}}|^`\\\x00-\x20]|{_UCHAR})*>)
  | (?P<var>[?$]{_NAME}+)
  | (?P<bnode>_:(?:{_NAME}|\.(?={_NAME}))*)
  | (?P<pname>(?:[{_PN}](?:{_NAME}|\.(?={_NAME}))*)?:(?:{_LOCAL}(?:{_LOCAL}|\.(?={_LOCAL}))*)?)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*(?:--[A-Za-z]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\^\^|&&|\|\||!=|<=|>=|[!=<>+\-*/|^?])
  | (?P<other>.)
""",
    re.X | re.S,
)
_T = TypeVar("_T")
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
OPENING, CLOSING = "{([", "})]"
# Tokens that each add a level to the algebra pyoxigraph builds (operators, group elements): its
# parser and evaluator recurse per level and overflow the stack, a segfault that ends the worker,
# from about 3,000 BINDs, 8,000 UNIONs or 10,000 `!`, `+` or `||` in one request (bench/RESULTS.md).
# Ground data (INSERT DATA / DELETE DATA) is flat and not counted; `^^` is a datatype, not an operator.
DEEPENING_WORDS = frozenset({"UNION", "OPTIONAL", "MINUS", "BIND", "FILTER", "GRAPH", "SERVICE", "VALUES"})
PARSE_ONLY_GRAPH = "urn:exoowl:parse-only"
PARSE_ONLY = f"CREATE GRAPH <{PARSE_ONLY_GRAPH}> ; CREATE GRAPH <{PARSE_ONLY_GRAPH}> ; "
CONFIRMED_WORDS = {"query": ("SERVICE",), "update": ("SERVICE", "LOAD")}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words

    def is_punct(self, text: str) -> bool:
        return self.kind == "other" and self.text == text


@dataclass(frozen=True)
class SparqlFeatures:
    """What a query or update names: its form, the graphs, services and documents it reaches
    (resolved as the engine resolves them) and its size in the terms the limits count."""

    form: str | None
    from_graphs: tuple[str, ...]
    from_named: tuple[str, ...]
    services: tuple[str, ...]
    loads: tuple[str, ...]
    keywords: frozenset[str]
    nesting: int = 0
    deepening: int = 0
    tokens: int = 0
    patterns: int = 0

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


def named_node(value: str, what: str = "IRI") -> ox.NamedNode:
    """An absolute IRI (RFC 3987: a scheme, no spaces, none of ``<>"{}|^`\\``) as an RDF term;
    UsageError naming ``what`` otherwise. The term, not the text, goes into queries."""
    try:
        return ox.NamedNode(value)
    except (ValueError, UnicodeError) as exc:
        shown = value if len(value) <= 200 else value[:200] + "…"
        raise UsageError(f"{what} must be an absolute IRI; {shown!r} is not ({exc})") from None


@lru_cache(maxsize=4096)
def resolve_iri(reference: str, base: str | None) -> str:
    """An IRI token's content (escapes included) resolved against ``base`` by pyoxigraph, as its
    SPARQL parser does; "" when it is not a valid IRI (the engine would refuse it too)."""
    try:
        quads = list(
            ox.parse(
                f"<{reference}> <urn:p> <urn:o> .",
                format=ox.RdfFormat.N_TRIPLES if base is None else ox.RdfFormat.TURTLE,
                base_iri=base,
            )
        )
    except (SyntaxError, ValueError, UnicodeError):
        return ""
    subject = quads[0].subject if quads else None
    return subject.value if isinstance(subject, ox.NamedNode) else ""


class _Scope:
    """Prefixes and base in force at a point of the text, as the prologue declares them."""

    def __init__(self, base: str | None) -> None:
        self.base = base
        self.prefixes: dict[str, str] = {}

    def declare(self, toks: list[Token], i: int) -> None:
        tok = toks[i]
        if tok.is_word("BASE") and i + 1 < len(toks) and toks[i + 1].kind == "iri":
            self.base = resolve_iri(toks[i + 1].text[1:-1], self.base) or self.base
        elif tok.is_word("PREFIX") and i + 2 < len(toks) and toks[i + 2].kind == "iri":
            self.prefixes[toks[i + 1].text.rstrip(":")] = resolve_iri(toks[i + 2].text[1:-1], self.base)

    def resolve(self, tok: Token | None) -> str:
        """An IRI token or prefixed name as the absolute IRI the engine uses; a variable as written;
        "" for anything that is neither (or does not resolve)."""
        if tok is None:
            return ""
        if tok.kind == "iri":
            return resolve_iri(tok.text[1:-1], self.base)
        if tok.kind == "pname":
            prefix, _, local = tok.text.partition(":")
            if not self.prefixes.get(prefix):
                return ""
            return resolve_iri(self.prefixes[prefix] + re.sub(r"\\(.)", r"\1", local), None)
        return tok.text if tok.kind == "var" else ""


def _target(toks: list[Token], i: int) -> Token | None:
    """The token a SERVICE or LOAD at ``i`` names (after an optional SILENT)."""
    following = [t for t in toks[i + 1 : i + 3] if not t.is_word("SILENT")]
    return following[0] if following else None


@lru_cache(maxsize=1024)
def _analyse(text: str, base: str | None) -> SparqlFeatures:
    toks = list(tokens(text))
    scope = _Scope(base)
    from_graphs: list[str] = []
    from_named: list[str] = []
    services: list[str] = []
    loads: list[str] = []
    for i, tok in enumerate(toks):
        scope.declare(toks, i)
        if tok.is_word("FROM") and i + 1 < len(toks):
            named = toks[i + 1].is_word("NAMED")
            target = toks[i + 2] if named and i + 2 < len(toks) else toks[i + 1]
            (from_named if named else from_graphs).append(scope.resolve(target))
        elif tok.is_word("SERVICE"):
            services.append(scope.resolve(_target(toks, i)))
        elif tok.is_word("LOAD"):
            loads.append(scope.resolve(_target(toks, i)))
    keywords = frozenset(t.text.upper() for t in toks if t.kind == "word")
    form = next((t.text.upper() for t in toks if t.is_word(*QUERY_FORMS)), None)
    return SparqlFeatures(
        form,
        tuple(from_graphs),
        tuple(from_named),
        tuple(services),
        tuple(loads),
        keywords,
        _nesting(toks),
        _deepening(toks),
        len(toks),
        _patterns(toks),
    )


CACHED_TEXT = 65536  # longer texts go to a cache of a few entries (one request asks several times)
_analyse_long = lru_cache(maxsize=4)(_analyse.__wrapped__)


def analyse(text: str, base_iri: str | None = None) -> SparqlFeatures:
    """Read once per distinct text and base (the checks and the store's dataset choice both ask)."""
    return _analyse(text, base_iri) if len(text) <= CACHED_TEXT else _analyse_long(text, base_iri)


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


def _deepening(toks: list[Token]) -> int:
    """Operators and group elements outside ground data (INSERT DATA / DELETE DATA blocks)."""
    count, i = 0, 0
    while i < len(toks):
        tok = toks[i]
        if tok.is_word("DATA") and i + 1 < len(toks) and toks[i + 1].is_punct("{"):
            i = _after_group(toks, i + 1)
            continue
        if (tok.kind == "op" and tok.text != "^^") or tok.is_punct("{") or tok.is_word(*DEEPENING_WORDS):
            count += 1
        i += 1
    return count


def _patterns(toks: list[Token]) -> int:
    """Triple patterns outside ground data, counted by their separators (``.``, ``;``, ``,`` outside
    parentheses): pyoxigraph's optimizer takes seconds to order a few hundred
    patterns of one group (100: 0.8 s, 200: 12 s, 300: over a minute; bench/RESULTS.md)."""
    count, parens, i = 0, 0, 0
    while i < len(toks):
        tok = toks[i]
        if tok.is_word("DATA") and i + 1 < len(toks) and toks[i + 1].is_punct("{"):
            i = _after_group(toks, i + 1)
            continue
        if tok.is_punct("("):
            parens += 1
        elif tok.is_punct(")"):
            parens = max(parens - 1, 0)
        elif parens == 0 and (tok.is_punct(".") or tok.is_punct(";") or tok.is_punct(",")):
            count += 1
        i += 1
    return count


def _after_group(toks: list[Token], opening: int) -> int:
    """The index just after the brace that closes the one at ``opening`` (the end when none does)."""
    closing = _matching(toks, opening)
    return len(toks) if closing is None else closing + 1


def _matching(toks: list[Token], opening: int) -> int | None:
    """The index of the brace that closes the one at ``opening``; None when none does."""
    depth = 0
    for j in range(opening, len(toks)):
        if toks[j].is_punct("{"):
            depth += 1
        elif toks[j].is_punct("}"):
            depth -= 1
            if depth == 0:
                return j
    return None


@dataclass(frozen=True)
class Limits:
    """How large a request the engine may see. The defaults keep pyoxigraph's recursive parser and
    evaluator well inside a worker's stack (bench/RESULTS.md has the measured crash points)."""

    max_nesting: int = 250
    max_deepening: int = 1000
    max_tokens: int = 1_000_000  # a 1 MiB request body holds about half that; the CLI reads files
    max_patterns: int = 150

    def check(self, text: str, features: SparqlFeatures | None = None) -> SparqlFeatures:
        features = features or analyse(text)
        if features.nesting > self.max_nesting:
            raise RefusedQuery(
                f"the request nests brackets {features.nesting} deep; this endpoint reads at most "
                f"{self.max_nesting} levels"
            )
        if features.deepening > self.max_deepening:
            raise RefusedQuery(
                f"the request has {features.deepening} operators and group elements (UNION, "
                f"OPTIONAL, BIND, FILTER, +, ||, !, …); this endpoint reads at most "
                f"{self.max_deepening}: pass long lists of values with VALUES"
            )
        if features.patterns > self.max_patterns:
            raise RefusedQuery(
                f"the request has about {features.patterns} triple patterns; this endpoint reads at most "
                f"{self.max_patterns} (ordering more takes its planner minutes): split the query, or "
                "pass values with VALUES"
            )
        if features.tokens > self.max_tokens:
            raise RefusedQuery(
                f"the request has {features.tokens} tokens; this endpoint reads at most {self.max_tokens}"
            )
        return features


ENGINE_LIMITS = Limits()  # what the store itself refuses, whoever calls it


def refuse_crashing(text: str) -> SparqlFeatures:
    """RefusedQuery for a text that could crash the engine, before any parser sees it."""
    return ENGINE_LIMITS.check(text)


def _remove_dot_segments(path: str) -> str:
    """The path as an HTTP client sends it: ``.`` and ``..`` (also percent-encoded) resolved."""
    decoded = re.sub(r"(?i)%2e", ".", path)
    if not decoded:
        return ""
    normal = posixpath.normpath(decoded)
    normal = "/" + normal.lstrip("/") if decoded.startswith("/") else normal
    return normal + "/" if decoded.endswith(("/", "/.", "/..")) and not normal.endswith("/") else normal


@dataclass(frozen=True)
class RemoteAccess:
    """What the endpoint may reach beyond its store: SERVICE endpoints, LOAD sources and FROM /
    FROM NAMED graphs it does not hold. ``*`` allows any IRI; otherwise IRI prefixes, compared as
    URLs: the same scheme, the same host and port (no user part unless the prefix has it) and a
    path under the prefix's path, after dot segments are resolved."""

    prefixes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, setting: str | None) -> RemoteAccess:
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
        if self.everything:
            return True
        if not iri or iri.startswith(("?", "$")):
            return False
        return any(_under(iri, prefix) for prefix in self.prefixes)


def _under(iri: str, prefix: str) -> bool:
    try:
        target, allowed = urlsplit(iri), urlsplit(prefix)
    except ValueError:
        return False
    if not allowed.netloc:  # urn:, file: and other IRIs without an authority: as text
        return not target.netloc and iri.startswith(prefix) and ".." not in unquote(iri[len(prefix) :])
    return (
        target.scheme.lower() == allowed.scheme.lower()
        and target.netloc.lower() == allowed.netloc.lower()
        and _remove_dot_segments(target.path).startswith(_remove_dot_segments(allowed.path))
        and (target.query.startswith(allowed.query) if allowed.query else True)
    )


NO_REMOTE = RemoteAccess()


@dataclass(frozen=True)
class Policy:
    """The rules a query or update passes before the engine sees it: the allow-list for SERVICE,
    LOAD and FROM, the limits, the USING / WITH rule, and the parser's confirmation. Made once per
    settings (``Settings.safety``) and used by the CLI, the Python API and the server alike."""

    remote: RemoteAccess = NO_REMOTE
    limits: Limits = Limits()

    def query(
        self,
        text: str,
        graphs: Callable[[], Iterable[str]] = list,
        *,
        dataset_given: bool = False,
        base_iri: str | None = None,
    ) -> SparqlFeatures:
        """The query's features, or RefusedQuery (SERVICE or FROM the allow-list does not name, a
        request over the limits) or QuerySyntaxError. ``graphs`` lists the store's graphs (asked
        only when the query has FROM). A protocol dataset (``default-graph-uri`` /
        ``named-graph-uri``) replaces FROM clauses, so they are not checked then."""
        features = self.limits.check(text, analyse(text, base_iri))
        self._refuse_services(features)
        if features.declares_dataset and not dataset_given:
            held = set(graphs())
            unknown = sorted(
                g for g in set(features.from_graphs + features.from_named) - held if not self.remote.allows(g)
            )
            if unknown:
                raise RefusedQuery(
                    "FROM / FROM NAMED may only name graphs in this store or allowed by "
                    f"EXOOWL_ALLOW_REMOTE; not {', '.join(u or '(an IRI that does not resolve)' for u in unknown)}"
                )
        confirm(text, base_iri, update=False)
        return features

    def update(self, text: str, *, base_iri: str | None = None) -> SparqlFeatures:
        """The update's features, or RefusedQuery (a LOAD or SERVICE the allow-list does not name,
        a request over the limits) or QuerySyntaxError. The update is not run."""
        features = self.limits.check(text, analyse(text, base_iri))
        self._refuse_services(features)
        denied = [source for source in features.loads if not self.remote.allows(source)]
        if denied:
            named = ", ".join(d or "(an IRI that does not resolve)" for d in denied)
            raise RefusedQuery(
                f"LOAD is not allowed on this endpoint ({named}): "
                "it fetches no documents but from the IRIs that EXOOWL_ALLOW_REMOTE names"
            )
        confirm(text, base_iri, update=True)
        return features

    def _refuse_services(self, features: SparqlFeatures) -> None:
        """RefusedQuery for a SERVICE the allow-list does not name (a variable endpoint needs ``*``)."""
        denied = [s for s in features.services if not self.remote.allows(s)]
        if denied:
            raise RefusedQuery(
                f"SERVICE clauses are not allowed on this endpoint (the request calls "
                f"{', '.join(d or '(an IRI that does not resolve)' for d in denied)}): it makes no "
                "outbound requests but to the IRIs that EXOOWL_ALLOW_REMOTE names"
            )


def dotted_names_expanded(text: str, base_iri: str | None = None) -> str | None:
    """The text with every prefixed name whose local part holds a dot written as the IRI it stands
    for (``ec:1.1.1.353`` → ``<http://purl.uniprot.org/enzyme/1.1.1.353>``), or None when it has none
    that resolve. SPARQL 1.1 allows dots inside local names; pyoxigraph 0.5's parser refuses two."""
    toks = list(tokens(text))
    scope, pieces, last = _Scope(base_iri), [], 0
    for i, tok in enumerate(toks):
        scope.declare(toks, i)
        if tok.kind == "pname" and "." in tok.text.partition(":")[2] and (iri := scope.resolve(tok)):
            pieces += [text[last : tok.offset], f"<{iri}>"]
            last = tok.offset + len(tok.text)
    return "".join(pieces) + text[last:] if pieces else None


def with_dotted_names(run: Callable[[str], _T], text: str, base_iri: str | None = None) -> _T:
    """``run(text)``; when pyoxigraph's parser refuses it and it names a dotted prefixed name, the
    same text with those names written as IRIs (see dotted_names_expanded). When that fails too, its
    error is the one raised, saying so: the line is the same, a column after such a name is not."""
    try:
        return run(text)
    except SyntaxError:
        expanded = dotted_names_expanded(text, base_iri)
        if expanded is None:
            raise
    try:
        return run(expanded)
    except SyntaxError as exc:
        raise SyntaxError(f"{exc} (in the text with its dotted prefixed names written as IRIs)") from None


def confirm(text: str, base_iri: str | None, *, update: bool) -> None:
    """QuerySyntaxError when the text does not parse, or when a SERVICE (or LOAD) is where the
    tokenizer did not read one: pyoxigraph parses a copy in which every other ``service`` /
    ``load`` is renamed and nothing can reach outside (see the module's text). Never runs the
    request itself."""
    copy, inserted_at = confirmation_copy(text, update)
    scratch = ox.Store()
    parse = partial(scratch.update if update else scratch.query, base_iri=base_iri)
    try:
        with_dotted_names(parse, copy, base_iri)
    except SyntaxError as exc:
        what = "SPARQL Update" if update else "SPARQL"
        raise QuerySyntaxError(f"malformed {what}: {_shift(str(exc), text, inserted_at)}") from None
    except (OSError, RuntimeError, ValueError):
        pass  # it parsed: the update's PARSE_ONLY prefix fails by design, a query may fail on no data
    finally:
        del parse, scratch


def confirmation_copy(text: str, update: bool) -> tuple[str, int | None]:
    """The text pyoxigraph parses to confirm the tokenizer's reading, and where (for an update)
    the parse-only operations were put: after the prologue. Same length and lines as ``text`` but
    for that insertion, so the parser's line and column still point into the request."""
    toks = list(tokens(text))
    keyword_spans: dict[int, int] = {}
    for i, tok in enumerate(toks):
        if tok.is_word(*CONFIRMED_WORDS["update" if update else "query"]):
            end = (
                toks[i + 1].offset + len(toks[i + 1].text)
                if i + 1 < len(toks) and toks[i + 1].is_word("SILENT")
                else tok.offset + len(tok.text)
            )
            keyword_spans[tok.offset] = end
    chars = list(text)
    for word in CONFIRMED_WORDS["update" if update else "query"]:
        for found in re.finditer(word, text, re.IGNORECASE):
            if found.start() not in keyword_spans:
                chars[found.end() - 1] = "\u00b7"  # a name character: strings, IRIs and names stay valid
    if not update:
        for start, end in keyword_spans.items():  # SERVICE [SILENT] x { } is read as GRAPH x { }
            chars[start:end] = list("GRAPH".ljust(end - start))
        return "".join(chars), None
    at = _prologue_end(toks, len(text))
    return "".join(chars[:at]) + PARSE_ONLY + "".join(chars[at:]), at


def _prologue_end(toks: list[Token], length: int) -> int:
    """The offset just after the leading BASE / PREFIX declarations."""
    i = 0
    while i < len(toks):
        if toks[i].is_word("BASE") and i + 1 < len(toks):
            i += 2
        elif toks[i].is_word("PREFIX") and i + 2 < len(toks):
            i += 3
        else:
            return toks[i].offset
    return length


def _shift(message: str, text: str, inserted_at: int | None) -> str:
    """The parser's ``error at LINE:COLUMN`` for the request, not for the copy with the insertion."""
    if inserted_at is None:
        return message
    line = text.count("\n", 0, inserted_at) + 1
    column = inserted_at - (text.rfind("\n", 0, inserted_at) + 1) + 1

    def back(found: re.Match[str]) -> str:
        at_line, at_column = int(found.group(1)), int(found.group(2))
        if at_line == line and at_column > column:
            at_column = max(column, at_column - len(PARSE_ONLY))
        return f"error at {at_line}:{at_column}"

    return re.sub(r"error at (\d+):(\d+)", back, message, count=1)


DEFAULT_GRAPH = ""  # the store's default graph among an update's targets


@dataclass(frozen=True)
class Targets:
    """The graphs an update writes (``DEFAULT_GRAPH`` for the default graph), and whether it may
    write graphs it does not name (``GRAPH ?g`` in a template, ``CLEAR ALL``, ``DROP NAMED``)."""

    graphs: frozenset[str]
    unnamed: bool


def update_targets(text: str, base_iri: str | None = None) -> Targets:
    """What an update (checked by :meth:`Policy.update`) writes, read from its operations."""
    toks = list(tokens(text))
    scope = _Scope(base_iri)
    graphs: set[str] = set()
    unnamed, with_graph, i = False, DEFAULT_GRAPH, 0
    while i < len(toks):
        scope.declare(toks, i)
        tok = toks[i]
        if tok.is_punct(";"):
            with_graph = DEFAULT_GRAPH
        elif tok.is_word("WITH") and i + 1 < len(toks):
            with_graph = scope.resolve(toks[i + 1])
        elif tok.is_word("INSERT", "DELETE"):
            group = i + 1 + (i + 1 < len(toks) and toks[i + 1].is_word("DATA", "WHERE"))
            if group < len(toks) and toks[group].is_punct("{"):
                end = _after_group(toks, group)
                named, some = _template_graphs(toks[group:end], scope)
                graphs |= named | ({with_graph} if some else set())
                unnamed |= "" in named or any(g.startswith(("?", "$")) for g in named)
                i = end
                continue
        elif tok.is_word("CLEAR", "DROP", "CREATE", "LOAD", "ADD", "MOVE", "COPY"):
            named, everything = _operation_graphs(toks, i, scope)
            graphs |= named
            unnamed |= everything
        i += 1
    return Targets(frozenset(g for g in graphs if not g.startswith(("?", "$"))), unnamed)


def _template_graphs(group: list[Token], scope: _Scope) -> tuple[set[str], bool]:
    """The graphs a quad template names (``GRAPH x { … }``) and whether it has triples outside them."""
    named, outside, depth, inside_graph = set(), False, 0, []
    j = 0
    while j < len(group):
        tok = group[j]
        if tok.is_word("GRAPH") and j + 1 < len(group):
            named.add(scope.resolve(group[j + 1]))
            inside_graph.append(depth + 1)
            j += 2
            continue
        if tok.is_punct("{"):
            depth += 1
        elif tok.is_punct("}"):
            if inside_graph and inside_graph[-1] == depth:
                inside_graph.pop()
            depth -= 1
        elif depth == 1 and not inside_graph and tok.kind not in ("other",):
            outside = True
        j += 1
    return named, outside


def _operation_graphs(toks: list[Token], i: int, scope: _Scope) -> tuple[set[str], bool]:
    """The graphs CLEAR / DROP / CREATE / LOAD / ADD / MOVE / COPY at ``i`` write."""
    word = toks[i].text.upper()
    rest = [t for t in toks[i + 1 : i + 8] if not t.is_word("SILENT")]

    def graph_ref(at: int) -> tuple[str, int]:
        if at < len(rest) and rest[at].is_word("DEFAULT"):
            return DEFAULT_GRAPH, at + 1
        if at < len(rest) and rest[at].is_word("GRAPH"):
            at += 1
        return (scope.resolve(rest[at]) if at < len(rest) else ""), at + 1

    if word in ("CLEAR", "DROP"):
        if rest and rest[0].is_word("ALL", "NAMED"):
            return {DEFAULT_GRAPH} if rest[0].is_word("ALL") else set(), True
        return {graph_ref(0)[0]}, False
    if word == "CREATE":
        return {graph_ref(0)[0]}, False
    if word == "LOAD":
        into = next((k for k, t in enumerate(rest) if t.is_word("INTO")), None)
        return {graph_ref(into + 1)[0] if into is not None else DEFAULT_GRAPH}, False
    source, after = graph_ref(0)
    target = graph_ref(after + 1)[0] if after < len(rest) and rest[after].is_word("TO") else ""
    return ({source, target} if word == "MOVE" else {target}), False


def with_using(text: str, default_graphs: Iterable[ox.NamedNode], named_graphs: Iterable[ox.NamedNode]) -> str:
    """The update with the protocol's ``using-graph-uri`` / ``using-named-graph-uri`` written as
    USING / USING NAMED clauses of every operation that has a WHERE (SPARQL 1.1 Protocol §2.2.3).
    The graphs are RDF terms (see :func:`named_node`), written by pyoxigraph, never raw text.

    pyoxigraph takes no dataset for updates, so the clauses go into the text. ``DELETE WHERE { P }``
    cannot carry USING; it is the same as ``DELETE { P } WHERE { P }``, which can."""
    clause = "".join([f"USING {g} " for g in default_graphs] + [f"USING NAMED {g} " for g in named_graphs])
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
                pattern = text[toks[i + 1].offset : end]
                edits.append((tok.offset, tok.offset + len(tok.text), f"{pattern} {clause}WHERE"))
            else:
                edits.append((tok.offset, tok.offset, clause))
    for start, stop, replacement in reversed(edits):
        text = text[:start] + replacement + text[stop:]
    return text


def _closing_brace(toks: list[Token], opening: int) -> int:
    """The text offset just after the brace closing the group that opens at ``toks[opening]``."""
    closing = _matching(toks, opening)
    if closing is None:
        raise QuerySyntaxError("malformed SPARQL Update: a '{' is never closed")
    return toks[closing].offset + 1


def where_groups(text: str) -> list[int]:
    """The offsets just inside each ``WHERE {`` of a query, its sub-SELECTs' included (named queries
    bind their parameters there); UsageError when there is none."""
    toks = list(tokens(text))
    found = [
        toks[i + 1].offset + 1 for i, tok in enumerate(toks[:-1]) if tok.is_word("WHERE") and toks[i + 1].is_punct("{")
    ]
    if not found:
        raise UsageError("a query with parameters needs an explicit WHERE { … } group")
    return found
