"""Imports every module of exoowl and exoowl_server as a runtime-only install would: modules of
distributions outside the runtime closure (the test extras and whatever else this environment
holds) cannot be imported. Run by ``test_runtime_install.py`` as
``python tests/runtime_only.py DIST [DIST ...]`` with the distributions allowed; prints the
modules that failed and exits 1 when any did."""

from __future__ import annotations

import importlib.abc
import importlib.metadata
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


class RuntimeOnly(importlib.abc.MetaPathFinder):
    """Refuses top-level modules that only distributions outside ``allowed`` provide."""

    def __init__(self, allowed: set[str]) -> None:
        owners = importlib.metadata.packages_distributions()
        self.blocked = {
            module for module, dists in owners.items() if not {d.lower().replace("_", "-") for d in dists} & allowed
        }

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.partition(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {fullname!r} (not a runtime dependency)", name=fullname)
        return None


def main(allowed: list[str]) -> int:
    sys.meta_path.insert(0, RuntimeOnly({a.lower().replace("_", "-") for a in allowed} | {"exoowl"}))
    failed, names = [], module_names()
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            failed.append(f"{name}: {exc}")
    print("\n".join(failed) or f"{len(names)} modules imported")
    return 1 if failed else 0


def module_names() -> list[str]:
    """The modules of both packages, read from the source tree (importing the package could fail)."""
    names = []
    for package, folder in (("exoowl", ROOT / "src" / "exoowl"), ("exoowl_server", ROOT / "server")):
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            names.append(".".join((package, *parts[:-1])) if parts[-1] == "__init__" else ".".join((package, *parts)))
    return names


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
