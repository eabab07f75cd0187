"""Shared fixtures: a copy of the minimal fixture project, and the real project built once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exoowl.build import build
from exoowl.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def mini(tmp_path: Path) -> Settings:
    """Settings for a private copy of tests/fixtures/mini with its own store."""
    root = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", root)
    return load_settings({"root": root, "store": tmp_path / "var" / "store"}, environ={})


@pytest.fixture
def built_mini(mini: Settings) -> Settings:
    build(mini)
    return mini


@pytest.fixture(scope="session")
def project(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real project (ontology, curated data, shapes, queries) built once into a temporary store.

    The root is a copy so that the build's regeneration of the release cannot touch the checkout."""
    base = tmp_path_factory.mktemp("project")
    root = base / "root"
    for part in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / part, root / part)
    settings = load_settings({"root": root, "store": base / "store"}, environ={})
    build(settings)
    return settings
