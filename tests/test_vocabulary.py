"""The mapping tables' reader (exoowl.vocabulary): SSSOM literal mapping sets, strings matched as the
downloads write them (spaces, case, stray carriage returns), malformed tables refused by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from exoowl.errors import InputError
from exoowl.vocabulary import NO_TERM, key, load

HEADER = """# curie_map:
#   ex: http://example.org/term/
# mapping_set_id: https://w3id.org/exoowl/mappings/test.sssom.tsv
# mapping_set_version: 2026-12-03
# subject_type: rdfs literal
subject_label\tpredicate_id\tobject_id\tobject_label\tmapping_justification\tcomment
"""


def table(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "test.sssom.tsv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_strings_match_whatever_their_spaces_and_case_and_terms_expand(tmp_path: Path) -> None:
    vocabulary = load(
        table(
            tmp_path,
            "Western blotting\tskos:exactMatch\tex:WB\twestern blot\tsemapv:ManualMappingCuration\t\n"
            "Ultracentrifugation [100,000 g]\tskos:broadMatch\tobo:OBI_1\tuc\tsemapv:ManualMappingCuration\t\n"
            "Exosomes/Microvesicles\tskos:exactMatch\tex:Exo\texosome\tsemapv:ManualMappingCuration\t\n"
            "Exosomes/Microvesicles\tskos:exactMatch\tex:MV\tmicrovesicle\tsemapv:ManualMappingCuration\t\n"
            "Unclear\tskos:exactMatch\tsssom:NoTermFound\t\tsemapv:ManualMappingCuration\tno term\n",
        )
    )
    assert vocabulary.version == "2026-12-03" and vocabulary.name == "test"
    (western,) = vocabulary.lookup("  western  Blotting\r") or ()
    assert western.iri == "http://example.org/term/WB" and western.types
    (uc,) = vocabulary.lookup("Ultracentrifugation [100,000 g]") or ()
    assert uc.iri == "http://purl.obolibrary.org/obo/OBI_1" and uc.types
    assert [t.curie for t in vocabulary.lookup("exosomes/microvesicles") or ()] == ["ex:Exo", "ex:MV"]
    assert vocabulary.lookup("unclear") == ()
    assert vocabulary.lookup("never seen") is None
    assert key(" A\r b ") == "a b"


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        ("x\tskos:exactMatch\tnope:1\tl\tj\t\n", "known prefix"),
        ("x\towl:sameAs\tex:1\tl\tj\t\n", "predicate"),
        ("x\tskos:exactMatch\tex:1\t\tj\t\n", "no object_label"),
        ("x\tskos:exactMatch\tex:1\tl\tj\n", "cells"),
        ("x\tskos:exactMatch\tex:1\tl\tj\t\nx\tskos:exactMatch\tsssom:NoTermFound\t\tj\t\n", NO_TERM),
        ("x\tskos:exactMatch\tsssom:NoTermFound\t\tj\t\nx\tskos:exactMatch\tex:1\tl\tj\t\n", NO_TERM),
        ("\tskos:exactMatch\tex:1\tl\tj\t\n", "empty subject_label"),
    ],
)
def test_a_malformed_row_is_refused_with_its_line(tmp_path: Path, rows: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as raised:
        load(table(tmp_path, rows))
    assert raised.value.line is not None and raised.value.line >= 7


def test_a_table_without_literal_subjects_or_version_is_refused(tmp_path: Path) -> None:
    path = table(tmp_path, "")
    path.write_text(HEADER.replace("rdfs literal", "owl class"), encoding="utf-8")
    with pytest.raises(InputError, match="subject_type"):
        load(path)
    path.write_text(HEADER.replace("# mapping_set_version: 2026-12-03\n", ""), encoding="utf-8")
    with pytest.raises(InputError, match="mapping_set_version"):
        load(path)
