"""Write a Vesiclepedia-shaped protein/mRNA details file: the 7 columns of the real downloads
(CONTENT ID, CONTENT TYPE, ENTREZ GENE ID, GENE SYMBOL, SPECIES, EXPERIMENT ID, METHODS),
tab-separated, with the real files' mix of content types (both `mRNA` spellings), species and
methods, the curated genes among the synthetic ones, and a few bad rows. Deterministic.

    .venv/bin/python bench/generate_vesiclepedia.py OUT.txt [--records 1000000]

The proportions follow ExoCarta 5's protein/mRNA file (../shared/reference/README.md §4):
protein 89 %, mRNA 5.5 % and mrna 4.8 %, small RNAs the rest; Homo sapiens 75 %, Rattus
norvegicus 15 %, Mus musculus 6.6 %, Bos taurus 3 %. Gene IDs beyond the curated ones are
synthetic (900000000 + n) so that they can never be mistaken for real NCBI Gene IDs, and so are the
experiment IDs (9000000 + n), which would otherwise merge with real experiments when imported beside them.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTENT_TYPES = [
    ("protein", 890),
    ("mRNA", 55),
    ("mrna", 48),
    ("snoRNA", 3),
    ("tRNA", 1),
    ("snRNA", 1),
    ("rRNA", 1),
    ("scaRNA", 1),
]
SPECIES = [
    ("Homo sapiens", 745),
    ("Rattus norvegicus", 154),
    ("Mus musculus", 66),
    ("Bos taurus", 31),
    ("homo sapiens", 2),
    ("Drosophila", 2),
]
METHODS = [
    "Mass spectrometry",
    "Western blotting",
    "Immunoelectron microscopy",
    "FACS",
    "Microarray",
    "RNA-seq",
    "ELISA",
    "Immunofluorescence",
]
GENES, EXPERIMENTS, BAD_EVERY = 40000, 2000, 10000
FIRST_EXPERIMENT = 9_000_000  # beyond the real databases' experiment IDs, so that they never merge with them


def curated_genes() -> list[tuple[str, str]]:
    with (ROOT / "data" / "curated" / "genes.tsv").open(encoding="utf-8") as handle:
        rows = csv.DictReader((line for line in handle if not line.startswith("#")), delimiter="\t")
        return [(r["ncbi_gene_id"], r["symbol"]) for r in rows]


def weighted(rng: random.Random, choices: list[tuple[str, int]], n: int) -> list[str]:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices], k=n)


def generate(out: Path, records: int, seed: int = 7) -> int:
    """Write ``records`` rows (one in BAD_EVERY malformed); returns the count of good rows."""
    rng = random.Random(seed)
    genes = curated_genes() + [(str(900000000 + n), f"SYN{n}") for n in range(GENES)]
    good = 0
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write("CONTENT ID\tCONTENT TYPE\tENTREZ GENE ID\tGENE SYMBOL\tSPECIES\tEXPERIMENT ID\tMETHODS\n")
        block = 10000
        for start in range(0, records, block):
            n = min(block, records - start)
            types, species = weighted(rng, CONTENT_TYPES, n), weighted(rng, SPECIES, n)
            lines = []
            for i in range(n):
                record = start + i + 1
                if record % BAD_EVERY == 0:
                    lines.append(f"{record}\tprotein\tunknown\t\tHomo sapiens\n")  # short row, no gene id
                    continue
                gene_id, symbol = (
                    genes[int(rng.paretovariate(1.2)) % len(genes)]
                    if rng.random() < 0.5
                    else genes[rng.randrange(len(genes))]
                )
                methods = "|".join(rng.sample(METHODS, rng.choice((1, 1, 2, 3))))
                lines.append(
                    f"{record}\t{types[i]}\t{gene_id}\t{symbol}\t{species[i]}\t"
                    f"{FIRST_EXPERIMENT + rng.randrange(EXPERIMENTS)}\t{methods}\n"
                )
                good += 1
            handle.writelines(lines)
    return good


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--records", type=int, default=1_000_000)
    args = parser.parse_args()
    good = generate(args.out, args.records)
    print(f"wrote {args.out}: {args.records} records ({good} good)")


if __name__ == "__main__":
    main()
