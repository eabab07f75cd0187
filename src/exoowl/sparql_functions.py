"""Extension functions the embedded engine answers beyond pyoxigraph's own: casts to the XSD integer
types derived from ``xsd:integer`` (``xsd:int``, ``xsd:long``, ``xsd:nonNegativeInteger``, …). SPARQL 1.1
requires casts only to the primitive types and leaves the others to implementations; Virtuoso, Jena
and GraphDB answer them, and queries written for those servers use them. A cast follows XPath's rules
for a cast to ``xsd:integer`` (numbers truncated toward zero, booleans 1 or 0, strings in the integer
lexical form); a value that is not an integer or lies outside the type's range is an error, so the
expression is unbound, as with SPARQL's own casts. pyoxigraph keeps the result as an ``xsd:integer``
(it encodes numbers of the derived types so), checked against the type's range."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import pyoxigraph as ox

from .sparql_safety import with_dotted_names

XSD = "http://www.w3.org/2001/XMLSchema#"
# the integer types XSD derives from xsd:integer, with their bounds (None: unbounded)
INTEGER_TYPES: dict[str, tuple[int | None, int | None]] = {
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
}
_INTEGER_LEXICAL = re.compile(r"[+-]?[0-9]+")
_BOOLEANS = {"true": 1, "1": 1, "false": 0, "0": 0}

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def integer_value(term: Term) -> int | None:
    """The integer XPath's cast to ``xsd:integer`` gives ``term``, or None where that cast is an error."""
    if not isinstance(term, ox.Literal) or term.language is not None:
        return None
    kind, text = term.datatype.value.removeprefix(XSD), term.value.strip()
    if kind == "boolean":
        return _BOOLEANS.get(text)
    if kind in ("float", "double"):
        try:
            number = float(text.replace("INF", "inf"))
        except ValueError:
            return None
        return int(number) if math.isfinite(number) else None
    if kind == "decimal":
        try:
            return int(Decimal(text))
        except InvalidOperation:
            return None
    if kind in ("string", "integer", *INTEGER_TYPES):
        return int(text) if _INTEGER_LEXICAL.fullmatch(text) else None
    return None


def integer_cast(name: str) -> Callable[[Term], ox.Literal | None]:
    """The cast to ``xsd:{name}``, one of INTEGER_TYPES."""
    low, high = INTEGER_TYPES[name]
    datatype = ox.NamedNode(XSD + name)

    def cast(*args: Term) -> ox.Literal | None:
        value = integer_value(args[0]) if len(args) == 1 else None  # a cast takes one argument
        if value is None or (low is not None and value < low) or (high is not None and value > high):
            return None
        return ox.Literal(str(value), datatype=datatype)

    return cast


CUSTOM_FUNCTIONS: dict[ox.NamedNode, Callable[..., Term | None]] = {
    ox.NamedNode(XSD + name): integer_cast(name) for name in INTEGER_TYPES
}
_UNSUPPORTED = re.compile(r"custom function <?([^\s>]+)>? is not supported")


def engine_query(db: ox.Store, text: str, base_iri: str | None, **dataset: Any) -> Any:
    """pyoxigraph's query with this module's functions, dotted prefixed names read as IRIs."""
    return with_dotted_names(
        lambda t: db.query(t, base_iri=base_iri, custom_functions=CUSTOM_FUNCTIONS, **dataset), text, base_iri
    )


def engine_update(db: ox.Store, text: str, base_iri: str | None) -> None:
    """pyoxigraph's update with this module's functions, dotted prefixed names read as IRIs."""
    with_dotted_names(lambda t: db.update(t, base_iri=base_iri, custom_functions=CUSTOM_FUNCTIONS), text, base_iri)


def unsupported_function(error: RuntimeError) -> str | None:
    """The IRI of the function an engine error says it does not know, or None for another error."""
    found = _UNSUPPORTED.search(str(error))
    return found.group(1) if found else None
