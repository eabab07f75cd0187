"""The field's real downloads, imported: per file, rows read and rejected, time and triples; per
column, the share of values that reached an ontology term (the mapping tables of
data/mappings/vocabulary/, miRBase v22 names); and the experiments' MISEV-relevant facts.

The downloads are not part of the project: give their paths (whole Vesiclepedia files, ExoCarta's
protein/mRNA CSV). Each is imported into one store built from the curated graph, as
`exoowl import vesiclepedia|exocarta FILE` does. Writes the 'real-data' section of bench/RESULTS.md.

    .venv/bin/python bench/run_real_data.py FILE... [--exocarta FILE]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pyoxigraph as ox
from rdflib import RDF, URIRef
from run_core import machine, write_section

from exoowl.build import build
from exoowl.config import load_settings
from exoowl.importers import ImportReport, import_file
from exoowl.misev import GRAPH_MISEV, IMPORT_SHAPES
from exoowl.namespaces import GRAPH_ONTOLOGY
from exoowl.rdfio import to_rdflib
from exoowl.store import Store, StoreLocation
from exoowl.validate import load_shapes, validate_graph

QUERIES = Path(__file__).resolve().parent / "queries"
EV_EXPERIMENT = URIRef("https://w3id.org/exoowl/ontology/EVExperiment")
IMPORTED_FROM = URIRef("https://w3id.org/exoowl/ontology/importedFrom")
EXPERIMENT_FACTS = {
    "experiments reporting exosomes": "exosome-experiments",
    "of them isolated with a density gradient": "exosome-experiments-density-gradient",
    "exosomes that MISEV calls small EVs (isolation not specific)": "small-evs-reported-as-exosomes",
    "experiments on a cell line": "cell-line-experiments",
    "experiments with a studied cancer (MONDO)": "cancer-experiments",
    "experiments described by an experiment file": "described-experiments",
}


def bench_query(name: str) -> str:
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def count(store: Store, name: str) -> int:
    return int(next(iter(store.query(bench_query(name))))["n"].value)


def coverage_rows(report: ImportReport) -> list[str]:
    rows = []
    for column, (mapped, values) in report.coverage().items():
        unmapped = collections.Counter({text: n for (c, text), n in report.unmapped.items() if c == column})
        worst = ", ".join(f"`{text}` {n}" for text, n in unmapped.most_common(3))
        rows.append(
            f"| {report.path.name} | {column} | {values} | {mapped / max(values, 1):.1%} | {len(unmapped)} | {worst} |"
        )
    return rows


def misev_shapes(store: Store, graphs: list[str], shapes: Path) -> dict[str, int]:
    """The MISEV shapes (ontology/import-shapes/misev-experiments.ttl) on the experiment files' records with
    their assessments: how many experiments conform (no Violation) and how many draw each message."""
    quads = (
        q
        for g in (*graphs, GRAPH_MISEV, str(GRAPH_ONTOLOGY))
        for q in store.db.quads_for_pattern(None, None, None, ox.NamedNode(g))
    )
    data = to_rdflib(quads)
    described = {str(s) for s in data.subjects(IMPORTED_FROM, None) if (s, RDF.type, EV_EXPERIMENT) in data}
    results = validate_graph(data, load_shapes(shapes)).results
    failing = {r.focus for r in results if r.severity == "Violation"}
    counts = collections.Counter(f"{r.severity}: {r.message}" for r in results if r.focus in described)
    return {"experiments checked": len(described), "conform (no violation)": len(described - failing), **counts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="Vesiclepedia downloads")
    parser.add_argument("--exocarta", type=Path, action="append", default=[], help="ExoCarta downloads")
    args = parser.parse_args()
    reports: list[tuple[ImportReport, float]] = []
    with tempfile.TemporaryDirectory(prefix="exoowl-bench-real-") as tmp:
        settings = load_settings({"store": Path(tmp) / "store"}, environ={})
        build(settings)
        location = StoreLocation(settings.store_path)
        for source, path in [("vesiclepedia", p) for p in args.files] + [("exocarta", p) for p in args.exocarta]:
            started = time.perf_counter()
            report = import_file(location, source, path)
            reports.append((report, time.perf_counter() - started))
            print(f"{path.name}: {report.records} records, {report.bad_rows} rejected", flush=True)
        with Store.open(settings.store_path) as store:
            facts = {label: count(store, query) for label, query in EXPERIMENT_FACTS.items()}
            mirnas = [
                (row["taxon"].value.rsplit("_", 1)[-1], int(row["records"].value), int(row["resolved"].value))
                for row in store.query(bench_query("mirna-resolution"))
            ]
            rigour = [
                (
                    row["database"].value,
                    row["specificity"].value,
                    int(row["experiments"].value),
                    float(row["mean_score"].value),
                    int(row["best"].value),
                )
                for row in store.query(bench_query("misev-distribution"))
            ]
            shacl = misev_shapes(store, [r.graph for r, _ in reports if r.kind == "experiments"], IMPORT_SHAPES)
    lines = [
        "## Real data: the field's downloads imported and mapped",
        "",
        f"Measured by `bench/run_real_data.py` on {machine()}: the whole Vesiclepedia downloads of the "
        "EVDx repository (liuyongyan/EVDx, commit 5b7be1b, folder `vesiclepedia_data/`; the protein/mRNA, "
        "gene details and protein GPAD files are not in that copy) and ExoCarta's protein/mRNA file "
        "(../shared/reference), each imported into one store as `exoowl import` does (read, map, bulk load, "
        "commit).",
        "",
        "| file | kind | rows | rejected | triples | seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {r.path.name} | {r.kind} | {r.records + r.bad_rows} | {r.bad_rows} | {r.triples} | {s:.1f} |"
        for r, s in reports
    ]
    lines += [
        "",
        "Per column, the values (a multi-valued cell counts each value) that reached an ontology term "
        "through the mapping tables; `SAMPLE NAME` counts the cell-line rows' names (Cellosaurus), "
        "`SAMPLE (disease)` and `SAMPLE NAME (disease)` the strings that name a disease (most name none).",
        "",
        "| file | column | values | reached a term | distinct strings without | most frequent without |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for report, _ in reports:
        lines += coverage_rows(report)
    lines += ["", "miRNA records resolved to a miRBase v22 mature accession (MIMAT), per species:", ""]
    lines += ["| taxon | records | resolved | share |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| NCBITaxon:{t} | {n} | {k} | {k / max(n, 1):.1%} |" for t, n, k in mirnas]
    lines += [
        "",
        "MISEV rigour of the assessed experiments (exoowl.misev, after the last import; score 0-8: isolation "
        "specificity 0-2, characterisation kinds 0-3, EV membrane and luminal proteins among the cargo 0-2, no "
        "negative-control protein among at least 20 cargo proteins 0-1):",
        "",
        "| database | isolation specificity | experiments | mean score | best |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {d} | {g} | {n} | {m:.2f} | {b} |" for d, g, n, m, b in rigour]
    lines += [
        "",
        "The MISEV shapes (`ontology/import-shapes/misev-experiments.ttl`, pyshacl) on the experiment file's "
        "records with their assessments: what MISEV requires of a report is a Violation, what it encourages a Warning.",
        "",
        "| result | experiments |",
        "| --- | ---: |",
    ]
    lines += [f"| {what} | {n} |" for what, n in shacl.items()]
    lines += ["", "What the imported experiments say, asked of the store:", ""]
    lines += ["| question | experiments |", "| --- | ---: |"]
    lines += [f"| {name} | {n} |" for name, n in facts.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(text, "real-data")


if __name__ == "__main__":
    main()
