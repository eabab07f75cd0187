"""What a write changed, and the nodes SHACL must look at again because of it (focused validation).

pyoxigraph's ``update()`` does not say what it changed, so the writer works it out before each
operation runs, on the staged copy it is about to change:

- ``INSERT DATA`` / ``DELETE DATA``: the quads themselves (pyoxigraph parses them, into an empty
  in-memory store; ``DELETE DATA`` is read as ``INSERT DATA`` there);
- ``DELETE … INSERT … WHERE`` (with WITH, USING, and ``DELETE WHERE``): the WHERE evaluated as a
  ``SELECT *`` on the staged store, its solutions instantiated into the templates by pyoxigraph (an
  ``INSERT … WHERE { VALUES … }`` on an empty in-memory store; blank nodes of the store travel as
  ``urn:exoowl:skolem:`` IRIs and come back);
- ``CLEAR`` / ``DROP`` / ``ADD`` / ``MOVE`` / ``COPY`` of named graphs or DEFAULT: the triples of
  the graphs they name; ``CREATE``: nothing;
- Graph Store PUT / POST / DELETE: the request's triples and the graph's old ones.

What cannot be known is said (``Changes.unknown``) and the gate then validates the whole data
graph: ``LOAD``, ``CLEAR`` / ``DROP`` ``ALL`` / ``NAMED``, blank nodes in what is inserted (the store
makes new ones whose labels the writer does not learn), more than ``MAX_SOLUTIONS`` solutions or
``MAX_TRIPLES`` triples, RDF 1.2 triple terms.

The nodes a change touches (:func:`focus_nodes`) are the subjects and IRI or blank-node objects of
the triples inserted and deleted, and, when a node's ``rdf:type`` changed, the nodes that point to
it (an ``sh:class`` on their values may now fail). :func:`neighbourhood` is what the shapes read
about them: their own triples, the types of their values, the incoming triples of
``sh:targetObjectsOf`` predicates and the data's ``rdfs:subClassOf`` links; the ontology comes with
it as pyshacl's ``ont_graph``, as in the full gate. That holds for shapes that only look one step
from a node (:func:`unsupported_shapes` says when they do not, and the gate then validates the whole
graph); a change of ``rdfs:subClassOf`` in the data also sends the gate to the whole graph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from .sparql_functions import engine_update
from .sparql_safety import Token, _matching, _Scope, tokens
from .store import Store

RDF_TYPE = ox.NamedNode(str(RDF.type))
SUBCLASS_OF = ox.NamedNode(str(RDFS.subClassOf))
SKOLEM = "urn:exoowl:skolem:"
MAX_TRIPLES = 20_000  # a write changing more than this is validated whole (as fast, and simpler)
MAX_SOLUTIONS = 10_000
MAX_FOCUS = 5_000

Node = ox.NamedNode | ox.BlankNode
Gated = Callable[[str], bool]  # whether a named graph is one the gate validates


@dataclass
class Changes:
    """The triples a write inserted and deleted (a superset: a deleted triple may not have been
    there), or why they are not known (``unknown``: the gate then validates the whole data graph)."""

    inserted: list[ox.Triple] = field(default_factory=list)
    deleted: list[ox.Triple] = field(default_factory=list)
    unknown: str | None = None

    def record(self, inserted: Iterable[ox.Triple] = (), deleted: Iterable[ox.Triple] = ()) -> None:
        if self.unknown is not None:
            return
        self.inserted.extend(inserted)
        self.deleted.extend(deleted)
        if len(self.inserted) + len(self.deleted) > MAX_TRIPLES:
            self.give_up(f"more than {MAX_TRIPLES:,} triples changed")

    def give_up(self, reason: str) -> None:
        if self.unknown is None:
            self.unknown = reason
            self.inserted.clear()
            self.deleted.clear()

    def merge(self, other: Changes) -> None:
        if other.unknown is not None:
            self.give_up(other.unknown)
        else:
            self.record(other.inserted, other.deleted)

    def triples(self) -> Iterator[ox.Triple]:
        yield from self.inserted
        yield from self.deleted


def _in_data(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph, gated: Gated) -> bool:
    return isinstance(graph, ox.DefaultGraph) or (isinstance(graph, ox.NamedNode) and gated(graph.value))


def graph_triples(store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph) -> Iterator[ox.Triple]:
    return (q.triple for q in store.quads_for_pattern(None, None, None, graph))


def record_graph(changes: Changes, store: ox.Store, graph: ox.NamedNode | ox.DefaultGraph, deleted: bool) -> None:
    """A graph's triples as changed (read before the write), giving up once there are too many."""
    taken = []
    for triple in graph_triples(store, graph):
        taken.append(triple)
        if len(taken) > MAX_TRIPLES:
            changes.give_up(f"a graph of more than {MAX_TRIPLES:,} triples is replaced or removed")
            return
    changes.record(deleted=taken) if deleted else changes.record(inserted=taken)


# SPARQL Update -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Operation:
    """One operation of an update, with the prologue (PREFIX / BASE) in force for it."""

    prologue: str
    toks: list[Token]
    text: str

    @property
    def full_text(self) -> str:
        return self.prologue + self.text


def operations(text: str) -> list[Operation]:
    """The update's operations in order (split at the ``;`` outside any bracket)."""
    toks = list(tokens(text))
    found: list[Operation] = []
    prologue, start, depth = "", 0, 0
    for i in range(len(toks) + 1):
        tok = toks[i] if i < len(toks) else None
        if tok is not None and tok.kind == "other" and tok.text in "{([":
            depth += 1
        elif tok is not None and tok.kind == "other" and tok.text in "})]":
            depth -= 1
        if tok is None or (depth == 0 and tok.is_punct(";")):
            part = toks[start:i]
            while len(part) >= 2 and part[0].is_word("PREFIX", "BASE"):
                size = 3 if part[0].is_word("PREFIX") else 2
                end = part[size - 1]
                prologue += text[part[0].offset : end.offset + len(end.text)] + "\n"
                part = part[size:]
            if part:
                last = part[-1]
                found.append(Operation(prologue, part, text[part[0].offset : last.offset + len(last.text)]))
            start = i + 1
    return found


def analyse_operation(store: ox.Store, op: Operation, base_iri: str | None) -> Changes:
    """What ``op`` will change when it runs on ``store`` now (call it before running it)."""
    changes = Changes()
    toks = op.toks
    first = toks[0]
    if first.is_word("INSERT", "DELETE") and len(toks) > 1 and toks[1].is_word("DATA"):
        quads = _instantiate(op.prologue + "INSERT DATA " + op.text[toks[2].offset - first.offset :], base_iri)
        if first.is_word("INSERT") and _has_blank_nodes(quads):
            changes.give_up("INSERT DATA with blank nodes (the store names them anew)")
        else:
            changes.record(**{"inserted" if first.is_word("INSERT") else "deleted": [q.triple for q in quads]})
    elif first.is_word("WITH", "INSERT", "DELETE"):
        _analyse_modify(store, op, base_iri, changes)
    elif first.is_word("CREATE"):
        pass
    elif first.is_word("CLEAR", "DROP", "ADD", "MOVE", "COPY"):
        _analyse_graph_operation(store, op, base_iri, changes)
    else:
        changes.give_up(f"{first.text.upper()} is not analysed")
    return changes


def _analyse_graph_operation(store: ox.Store, op: Operation, base_iri: str | None, changes: Changes) -> None:
    """CLEAR / DROP / ADD / MOVE / COPY: the triples of every graph named (before the operation)."""
    scope = _declared(op, base_iri)
    names: list[ox.NamedNode | ox.DefaultGraph] = []
    for tok in op.toks[1:]:
        if tok.is_word("ALL", "NAMED"):
            changes.give_up(f"{op.toks[0].text.upper()} {tok.text.upper()}")
            return
        if tok.is_word("DEFAULT"):
            names.append(ox.DefaultGraph())
        elif tok.kind in ("iri", "pname"):
            iri = scope.resolve(tok)
            if not iri:
                changes.give_up(f"graph {tok.text} not resolved")
                return
            names.append(ox.NamedNode(iri))
    for name in names:
        if isinstance(name, ox.DefaultGraph) or store.contains_named_graph(name):
            record_graph(changes, store, name, deleted=True)


def _declared(op: Operation, base_iri: str | None) -> _Scope:
    scope = _Scope(base_iri)
    prologue = list(tokens(op.prologue))
    for i in range(len(prologue)):
        scope.declare(prologue, i)
    return scope


def _analyse_modify(store: ox.Store, op: Operation, base_iri: str | None, changes: Changes) -> None:
    """``[WITH g] DELETE {D} INSERT {I} USING … WHERE {P}`` and ``DELETE WHERE {P}``: the solutions
    of P on the store now, put into D and I."""
    toks, text, at = op.toks, op.text, 0
    offset = toks[0].offset

    def group(i: int) -> tuple[str, int]:
        """The text of the ``{…}`` group opening at token ``i``, and the index after it."""
        closing = _matching(toks, i)
        if closing is None:
            raise ValueError("unclosed group")
        return text[toks[i].offset - offset : toks[closing].offset - offset + 1], closing + 1

    default_graph: ox.NamedNode | None = None
    scope = _declared(op, base_iri)
    delete = insert = where = None
    using: list[str] = []
    if toks[0].is_word("WITH"):
        with_iri = scope.resolve(toks[1])
        default_graph, at = (ox.NamedNode(with_iri) if with_iri else None), 2
        if default_graph is None:
            changes.give_up(f"WITH {toks[1].text} not resolved")
            return
    try:
        if toks[at].is_word("DELETE") and toks[at + 1].is_word("WHERE"):
            delete, _ = group(at + 2)
            where = delete
        else:
            if toks[at].is_word("DELETE"):
                delete, at = group(at + 1)
            if toks[at].is_word("INSERT"):
                insert, at = group(at + 1)
            while toks[at].is_word("USING"):
                named = toks[at + 1].is_word("NAMED")
                target = toks[at + 1 + named]
                using.append(("FROM NAMED " if named else "FROM ") + target.text)
                at += 2 + named
            if toks[at].is_word("WHERE"):
                where, _ = group(at + 1)
    except (IndexError, ValueError):
        where = None
    if where is None:
        changes.give_up("an update form the analysis does not read")
        return
    select = f"{op.prologue}SELECT * {' '.join(using)} WHERE {where}"
    dataset = default_graph if not using else None  # USING gives the dataset itself
    solutions = store.query(select, base_iri=base_iri, default_graph=dataset)
    assert isinstance(solutions, ox.QuerySolutions)
    variables = [v.value for v in solutions.variables]
    rows: list[str] = []
    for solution in solutions:
        if len(rows) == MAX_SOLUTIONS:
            changes.give_up(f"more than {MAX_SOLUTIONS:,} solutions")
            return
        row = [_value_term(solution[v]) for v in variables]
        if any(term is None for term in row):
            changes.give_up("a solution binds an RDF 1.2 triple term")
            return
        rows.append(f"({' '.join(term or 'UNDEF' for term in row)})")
    if not rows:
        return
    values = f"VALUES ({' '.join('?' + v for v in variables)}) {{ {' '.join(rows)} }}"
    for template, inserted in ((delete, False), (insert, True)):
        if template is None:
            continue
        quads = _instantiate(f"{op.prologue}INSERT {template} WHERE {{ {values} }}", base_iri)
        if inserted and _has_blank_nodes(quads):
            changes.give_up("blank nodes in an INSERT template (the store names them anew)")
            return
        triples = [_unskolemise(q.triple) for q in quads]
        changes.record(inserted=triples) if inserted else changes.record(deleted=triples)


def _value_term(term: object) -> str | None:
    """A solution's value as SPARQL text for VALUES ('' for unbound, None for a triple term)."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"<{SKOLEM}{term.value}>"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return str(term)
    return None


def _unskolemise(triple: ox.Triple) -> ox.Triple:
    def back(term: Any) -> Any:  # a subject or object, a skolem IRI back to its blank node
        if isinstance(term, ox.NamedNode) and term.value.startswith(SKOLEM):
            return ox.BlankNode(term.value[len(SKOLEM) :])
        return term

    return ox.Triple(back(triple.subject), triple.predicate, back(triple.object))


def _instantiate(update: str, base_iri: str | None) -> list[ox.Quad]:
    """The quads an update inserts into an empty in-memory store (pyoxigraph parses and
    instantiates; nothing outside is read)."""
    scratch = ox.Store()
    engine_update(scratch, update, base_iri)
    return list(scratch)


def _has_blank_nodes(quads: Iterable[ox.Quad]) -> bool:
    """Blank nodes the update makes (the store's own travel as skolem IRIs)."""
    return any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads)


def apply_update(store: Store, sparql: str, base_iri: str | None, run: Callable[[str], None]) -> Changes:
    """Run ``sparql`` through ``run``, operation by operation (each analysed on the store just
    before it runs: a later WHERE sees what an earlier operation did), and say what it changed.
    From the first operation that cannot be analysed on, the rest runs as written and the changes
    are unknown. An update of one operation runs as its exact text.

    No frame of this function holds the pyoxigraph store itself: when ``run`` raises, the
    traceback must not keep the database open after the writer closes it."""
    ops, changes = operations(sparql), Changes()
    for op in ops:
        if changes.unknown is None:
            try:
                changes.merge(analyse_operation(store.db, op, base_iri))
            except (SyntaxError, ValueError, RuntimeError, OSError) as exc:
                changes.give_up(f"the analysis could not read the operation ({exc})")
        if changes.unknown is not None:
            run(op.prologue + sparql[op.toks[0].offset :] if len(ops) > 1 else sparql)
            return changes
        run(op.full_text if len(ops) > 1 else sparql)
    if not ops:
        run(sparql)
    return changes


# the focus nodes and what the shapes read about them -------------------------------------------
def focus_nodes(store: ox.Store, changes: Changes, gated: Gated) -> set[Node] | str:
    """The nodes whose SHACL results the change may have changed, or why they cannot be told."""
    nodes: set[Node] = set()
    retyped: set[Node] = set()
    for triple in changes.triples():
        if triple.predicate == SUBCLASS_OF:
            return "the write changes rdfs:subClassOf (the class hierarchy of every target)"
        nodes.add(triple.subject)  # type: ignore[arg-type]
        if isinstance(triple.object, ox.NamedNode | ox.BlankNode):
            nodes.add(triple.object)
        if triple.predicate == RDF_TYPE:
            retyped.add(triple.subject)  # type: ignore[arg-type]
    for node in retyped:
        nodes.update(
            q.subject  # type: ignore[misc]
            for q in store.quads_for_pattern(None, None, node, None)
            if _in_data(q.graph_name, gated)
        )
    if len(nodes) > MAX_FOCUS:
        return f"more than {MAX_FOCUS:,} nodes touched"
    return nodes


def neighbourhood(store: ox.Store, nodes: set[Node], gated: Gated, objects_of: Iterable[str] = ()) -> list[ox.Triple]:
    """The data triples the shapes read about ``nodes``: theirs, their values' types, incoming
    triples of ``objects_of`` predicates (``sh:targetObjectsOf``) and all ``rdfs:subClassOf``."""

    def data(s: Node | None, p: ox.NamedNode | None, o: Node | None) -> Iterator[ox.Triple]:
        return (q.triple for q in store.quads_for_pattern(s, p, o, None) if _in_data(q.graph_name, gated))

    found = [t for node in nodes for t in data(node, None, None)]
    values = {t.object for t in found if isinstance(t.object, ox.NamedNode | ox.BlankNode)} - nodes
    found += [t for value in values for t in data(value, RDF_TYPE, None)]
    found += [t for p in objects_of for node in nodes for t in data(None, ox.NamedNode(p), node)]
    found += list(data(None, SUBCLASS_OF, None))
    return found


# which shapes focused validation is exact for --------------------------------------------------
# Constraints on the focus node's own values (and targets found from its own triples or one
# incoming triple); nested shapes (sh:qualifiedValueShape) may only test the value node itself.
NODE_LEVEL = {
    "class", "datatype", "nodeKind", "pattern", "flags", "minLength", "maxLength", "minInclusive",
    "maxInclusive", "minExclusive", "maxExclusive", "in", "hasValue", "languageIn",
}  # fmt: skip
SHAPE_LEVEL = NODE_LEVEL | {
    "targetClass", "targetNode", "targetSubjectsOf", "targetObjectsOf", "property", "path", "minCount",
    "maxCount", "uniqueLang", "equals", "disjoint", "lessThan", "lessThanOrEquals", "qualifiedValueShape",
    "qualifiedMinCount", "qualifiedMaxCount", "closed", "ignoredProperties", "message", "severity", "name",
    "description", "deactivated", "order", "group", "defaultValue",
}  # fmt: skip
DESCRIPTIVE = {"message", "severity", "name", "description", "deactivated", "order", "group"}


def unsupported_shapes(shapes: Graph) -> str | None:
    """Why focused validation would not be exact for these shapes (None: it is)."""
    for _s, p, o in shapes:
        if isinstance(p, URIRef) and str(p).startswith(str(SH)):
            local = str(p)[len(str(SH)) :]
            if local not in SHAPE_LEVEL:
                return f"the shapes use sh:{local}"
            if local == "path" and not isinstance(o, URIRef):
                return "the shapes use a property path other than a predicate"
    for nested in shapes.objects(None, SH.qualifiedValueShape):
        for _s, p, _o in shapes.triples((nested, None, None)):
            inner = str(p)[len(str(SH)) :] if str(p).startswith(str(SH)) else None
            if inner is not None and inner not in NODE_LEVEL | DESCRIPTIVE:
                return f"a qualified value shape uses sh:{inner}"
    return None


def target_objects_of(shapes: Graph) -> list[str]:
    return sorted({str(p) for p in shapes.objects(None, SH.targetObjectsOf)})
