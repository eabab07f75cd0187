"""The README says what the code does: configuration table, commands, data-model picture."""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from exoowl.cli import cli
from exoowl.config import describe_settings
from exoowl.readme import END, START, inventory_table, mermaid

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def block(name: str) -> str:
    found = re.search(rf"<!-- {name}:start -->\n(.*?)<!-- {name}:end -->", README, re.S)
    assert found, f"README lacks the {name} block"
    return found.group(1)


def test_configuration_table_matches_the_settings() -> None:
    rows = [line for line in block("settings").splitlines() if line.startswith("| ") and "---" not in line][1:]
    documented = [tuple(cell.strip().strip("`") for cell in row.strip("|").split("|")) for row in rows]
    assert documented == describe_settings()


def test_every_command_is_documented() -> None:
    for name in cli.commands:
        assert f"`exoowl {name}" in README, name


def test_quick_start_shows_the_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\$ (make \w+)$", quick, re.M) == ["make serve", "make test"]


def test_data_model_picture_is_generated_from_the_release() -> None:
    release = Graph().parse(ROOT / "ontology" / "exoowl.owl", format="xml")
    assert START in README and END in README
    assert block("data-model").strip() == mermaid(release).strip()
    assert mermaid(release).count("-->") >= 10


def test_inventory_is_listed_in_the_readme(project) -> None:
    from exoowl.api import KnowledgeGraph
    from exoowl.store import Store

    kg = KnowledgeGraph(project, Store.open(project.store_path))
    assert block("inventory").strip() == inventory_table(kg.run("inventory")).strip(), (
        "README inventory is stale: run `make release` and commit README.md"
    )
