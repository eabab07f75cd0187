"""A runtime-only install runs exoowl: every module imports with the declared runtime
dependencies alone (the test extras are not there on a user's machine). ``.ci/run`` also installs
the runtime dependencies alone into a clean environment and serves from it."""

from __future__ import annotations

import ast
import importlib.metadata
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "src" / "exoowl").rglob("*.py")), *sorted((ROOT / "server").rglob("*.py"))]
OWN = {"exoowl", "exoowl_server"}
BASE = {"pip", "setuptools", "wheel"}  # what `python -m venv` and the Makefile's first step put in every venv


def _name(text: str) -> str:
    return text.lower().replace("_", "-")


def declared(extra: str | None = None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = project["optional-dependencies"][extra] if extra else project["dependencies"]
    return [Requirement(line) for line in listed]


def runtime_closure() -> set[str]:
    """The declared runtime dependencies and everything they require, as installed here."""
    environment = {**default_environment(), "extra": ""}
    todo, seen = [r.name for r in declared()], set(BASE)
    while todo:
        name = _name(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate(environment):
                todo.append(requirement.name)
    return seen


def imported_modules(path: Path) -> set[str]:
    """Top-level modules a source file imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.partition(".")[0])
    return found


def test_every_import_is_a_declared_runtime_dependency() -> None:
    closure = runtime_closure()
    owners = importlib.metadata.packages_distributions()
    missing = {}
    for path in SOURCES:
        for module in imported_modules(path) - OWN - set(sys.stdlib_module_names):
            if not {_name(d) for d in owners.get(module, [])} & closure:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported but not a runtime dependency (pyproject [project].dependencies): {missing}"


def test_test_extras_are_not_in_the_runtime_closure_by_accident() -> None:
    """The check above means something: test-only packages are outside the closure."""
    closure = runtime_closure()
    assert {"pytest", "hypothesis"} <= {_name(r.name) for r in declared("test")}
    assert not {"pytest", "hypothesis", "jpype1"} & closure


def test_every_module_imports_with_the_runtime_dependencies_alone() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "runtime_only.py"), *sorted(runtime_closure())],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "modules imported" in result.stdout


def test_the_runtime_only_import_fails_for_an_undeclared_import() -> None:
    """With requests left out of the allowed set, the remote store's module no longer imports."""
    allowed = sorted(runtime_closure() - {"requests"})
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "runtime_only.py"), *allowed],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 1 and "exoowl.remote" in result.stdout, result.stdout + result.stderr
