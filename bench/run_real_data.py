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
from run_core import machine, write_section

from exoowl.build import build
from exoowl.config import load_settings
from exoowl.importers import ImportReport, import_file
from exoowl.store import Store, StoreLocation

EXPERIMENT_FACTS = {
    "experiments reporting exosomes": """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e exoowl:studiesVesicle ?v . ?v a exoowl:Exosome }""",
    "of them isolated with a density gradient": """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e exoowl:studiesVesicle ?v . ?v a exoowl:Exosome .
        ?e exoowl:isolatedWith ?m . ?m a/rdfs:subClassOf* exoowl:DensityGradientUltracentrifugation }""",
    "experiments on a cell line": "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { ?e exoowl:usesCellLine ?l }",
    "experiments with a studied cancer (MONDO)": """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e exoowl:studiesCancer ?c }""",
    "experiments described by an experiment file": """SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {
        ?e a exoowl:EVExperiment ; exoowl:importedFrom ?f }""",
}
PREFIXES = "PREFIX exoowl: <https://w3id.org/exoowl/ontology/>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
MIRNA_SPECIES = """SELECT ?taxon (COUNT(?o) AS ?records)
  (SUM(IF(STRSTARTS(STR(?m), "https://w3id.org/exoowl/id/mirna/MIMAT"), 1, 0)) AS ?resolved)
WHERE { ?o exoowl:contentType "miRNA" ; exoowl:observedMolecule ?m ;
           <http://purl.obolibrary.org/obo/RO_0002162> ?taxon }
GROUP BY ?taxon ORDER BY DESC(?records) LIMIT 4"""


def coverage_rows(report: ImportReport) -> list[str]:
    rows = []
    for column, (mapped, values) in report.coverage().items():
        unmapped = collections.Counter({text: n for (c, text), n in report.unmapped.items() if c == column})
        worst = ", ".join(f"`{text}` {n}" for text, n in unmapped.most_common(3))
        rows.append(
            f"| {report.path.name} | {column} | {values} | {mapped / max(values, 1):.1%} | {len(unmapped)} | {worst} |"
        )
    return rows


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
            facts = {
                name: int(next(iter(store.query(PREFIXES + q)))["n"].value) for name, q in EXPERIMENT_FACTS.items()
            }
            mirnas = [
                (row["taxon"].value.rsplit("_", 1)[-1], int(row["records"].value), int(row["resolved"].value))
                for row in store.query(PREFIXES + MIRNA_SPECIES)
            ]
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
    lines += ["", "What the imported experiments say, asked of the store:", ""]
    lines += ["| question | experiments |", "| --- | ---: |"]
    lines += [f"| {name} | {n} |" for name, n in facts.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    write_section(text, "real-data")


if __name__ == "__main__":
    main()
