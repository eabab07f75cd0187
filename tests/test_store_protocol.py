"""One store type: the embedded store and a SPARQL server implement StoreProtocol with the same
signatures (mypy checks it statically; this checks it where mypy is not run)."""

from __future__ import annotations

import inspect

import pytest

from exoowl.remote import RemoteStore
from exoowl.store import Store, StoreProtocol

MEMBERS = [name for name in vars(StoreProtocol) if not name.startswith("_") or name in ("__enter__", "__exit__")]


@pytest.mark.parametrize("implementation", [Store, RemoteStore])
def test_both_stores_implement_the_store_protocol_with_its_signatures(implementation: type) -> None:
    assert {"graphs", "query", "export", "close", "__enter__"} <= set(MEMBERS)
    for name in MEMBERS:
        expected = inspect.signature(getattr(StoreProtocol, name))
        actual = inspect.signature(getattr(implementation, name))
        assert list(actual.parameters) == list(expected.parameters), f"{implementation.__name__}.{name}"
        for parameter in expected.parameters.values():
            assert actual.parameters[parameter.name].kind == parameter.kind, f"{implementation.__name__}.{name}"


def test_an_embedded_store_is_a_store_protocol_and_closes_with_with() -> None:
    with Store.in_memory() as store:
        assert isinstance(store, StoreProtocol) and store.graphs() == []
