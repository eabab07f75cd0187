"""The real ``exoowl`` command in a subprocess: outputs and exit codes (0, 1, 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox

from exoowl.config import Settings

EXOOWL = str(Path(sys.executable).with_name("exoowl"))


def exoowl_env(settings: Settings, token: str | None = None) -> dict[str, str]:
    """The environment an `exoowl` process of these settings runs in (writes enabled by ``token``)."""
    env = {
        **os.environ,
        "EXOOWL_ROOT": str(settings.root),
        "EXOOWL_STORE": str(settings.remote_store or settings.store_path),
    }
    env.pop("EXOOWL_UPDATE_TOKEN", None)
    env.pop("EXOOWL_ALLOW_REMOTE", None)
    if settings.allow_remote:
        env["EXOOWL_ALLOW_REMOTE"] = settings.allow_remote
    if token is not None:
        env["EXOOWL_UPDATE_TOKEN"] = token
    return env


def run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXOOWL, *args], capture_output=True, text=True, env=exoowl_env(settings), timeout=120)


def test_build_then_query_named_with_parameter(mini: Settings) -> None:
    built = run(mini, "build")
    assert built.returncode == 0, built.stderr
    assert "built" in built.stdout and "hermit" in built.stderr
    out = run(mini, "query", "--name", "problem-findings", "--param", "line=bgc", "--format", "json")
    assert out.returncode == 0, out.stderr
    bindings = json.loads(out.stdout)["results"]["bindings"]
    assert [b["lineLabel"]["value"] for b in bindings] == ["BGC-823"]


def test_query_formats(built_mini: Settings) -> None:
    csv = run(
        built_mini,
        "query",
        "SELECT ?l WHERE { ?x <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?l",
        "-f",
        "csv",
    )
    assert csv.stdout.splitlines()[:3] == ["l", "A-549", "BGC-823"]
    table = run(built_mini, "query", "ASK { ?s ?p ?o }")
    assert table.stdout.strip() == "yes"
    turtle = run(built_mini, "query", "CONSTRUCT { ?s a ?o } WHERE { ?s a ?o } LIMIT 1", "-f", "turtle")
    assert turtle.returncode == 0 and " a " in turtle.stdout


def test_query_from_file(built_mini: Settings, tmp_path: Path) -> None:
    query = tmp_path / "q.rq"
    query.write_text("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    out = run(built_mini, "query", "--file", str(query), "-f", "tsv")
    assert out.returncode == 0 and out.stdout.splitlines()[0] == "?n"


def test_unknown_named_query_is_a_usage_error_listing_valid_ones(built_mini: Settings) -> None:
    out = run(built_mini, "query", "--name", "nope")
    assert out.returncode == 2
    assert "no named query 'nope'" in out.stderr and "problem-findings" in out.stderr


def test_unknown_parameter_is_a_usage_error_listing_valid_ones(built_mini: Settings) -> None:
    out = run(built_mini, "query", "--name", "problem-findings", "-p", "colour=red")
    assert out.returncode == 2 and "valid: line" in out.stderr


def test_malformed_sparql_is_exit_2_with_position(built_mini: Settings) -> None:
    out = run(built_mini, "query", "SELECT ?x WHERE { ?x ")
    assert out.returncode == 2 and "malformed SPARQL" in out.stderr and "Traceback" not in out.stderr


def test_malformed_row_is_exit_2_naming_file_line_and_column(built_mini: Settings) -> None:
    table = built_mini.curated_dir / "lines.tsv"
    table.write_text(table.read_text() + "hela\tHeLa\tCVCL_0030\tmaybe\n")
    out = run(built_mini, "build")
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].endswith("lines.tsv:4:flagged: 'maybe' is not a valid xsd:boolean")


def test_validate_conforms_and_writes_reports(built_mini: Settings, tmp_path: Path) -> None:
    out = run(built_mini, "validate", "--report", str(tmp_path / "r.json"))
    assert out.returncode == 0 and "conforms: yes" in out.stdout
    assert json.loads((tmp_path / "r.json").read_text())["conforms"] is True


def test_validate_violation_is_exit_1_with_focus_path_message_severity(built_mini: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("""@prefix exoowl: <https://w3id.org/exoowl/ontology/> .
        <https://w3id.org/exoowl/id/cell-line/x> a exoowl:CellLine ; exoowl:cellosaurusId "X-1" .""")
    out = run(built_mini, "validate", "--data", str(bad), "--report", str(tmp_path / "r.ttl"))
    assert out.returncode == 1
    line = out.stdout.splitlines()[0].split("\t")
    assert line[:3] == [
        "Violation",
        "https://w3id.org/exoowl/id/cell-line/x",
        "https://w3id.org/exoowl/ontology/cellosaurusId",
    ]
    assert "CVCL_XXXX" in line[3]
    assert "sh:ValidationReport" in (tmp_path / "r.ttl").read_text()


def test_reason_reports_consistency(built_mini: Settings) -> None:
    out = run(built_mini, "reason")
    assert out.returncode == 0 and "consistent: yes" in out.stdout and "unsatisfiable classes: 0" in out.stdout


def test_export_round_trips_the_store(built_mini: Settings, tmp_path: Path) -> None:
    dump = tmp_path / "all.nq"
    assert run(built_mini, "export", "-f", "nquads", "-o", str(dump)).returncode == 0
    assert "<https://w3id.org/exoowl/graph/review>" in dump.read_text()
    turtle = run(built_mini, "export", "-f", "turtle")
    assert turtle.returncode == 2 and "--graph" in turtle.stderr


def test_commands_without_a_store_say_how_to_make_one(mini: Settings) -> None:
    out = run(mini, "query", "ASK {}")
    assert out.returncode == 2 and "run `exoowl build` first" in out.stderr


def test_graph_results_print_as_turtle_and_bad_files_give_one_line(built_mini: Settings, tmp_path: Path) -> None:
    """CONSTRUCT prints Turtle by default; a file whose first line is megabytes long and an export
    into a folder that does not exist are one-line errors with exit 2."""
    graph = run(built_mini, "query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3")
    assert graph.returncode == 0, graph.stderr
    assert len(list(ox.parse(graph.stdout.encode(), format=ox.RdfFormat.TURTLE))) == 3
    long_line = tmp_path / "long.tsv"
    long_line.write_text("x" * 5_000_000 + "\n", encoding="utf-8")
    imported = run(built_mini, "import", "vesiclepedia", str(long_line))
    assert imported.returncode == 2 and "first line is over" in imported.stderr
    assert "Traceback" not in imported.stderr and imported.stderr.strip().count("\n") <= 1
    exported = run(built_mini, "export", "-o", str(tmp_path / "missing" / "dir" / "x.nq"))
    assert exported.returncode == 2 and exported.stderr.strip().count("\n") == 0
    assert "cannot write the export" in exported.stderr
