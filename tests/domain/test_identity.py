"""Name normalisation, fingerprints and stable person IDs."""

from __future__ import annotations

import itertools

import pytest

from sharewell.domain.identity import (
    PersonEventKind,
    assign_stable_ids,
    match_key,
    normalise_name,
    resolve,
)


def _ids(prefix: str = "N"):
    counter = itertools.count(1)
    return lambda: f"{prefix}{next(counter)}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  JOHN   SMITH ", "John Smith"),
        ("mary-jane o'neill", "Mary-Jane O'Neill"),
        ("McDonald", "McDonald"),
        ("JOSÉ", "José"),
        ("Smith - Jones", "Smith-Jones"),
    ],
)
def test_normalises_case_and_spaces_but_keeps_accents(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_match_key_folds_accents_and_punctuation() -> None:
    assert match_key("José O'Brien-Smith") == "jose obrien-smith"
    assert match_key("  ") is None


def test_first_run_gives_each_cluster_a_new_id() -> None:
    result = assign_stable_ids({}, [[1, 2], [3]], _ids())
    assert result.ids == {1: "N1", 2: "N1", 3: "N2"}
    assert [e.kind for e in result.events] == [PersonEventKind.CREATED, PersonEventKind.CREATED]


def test_keeps_ids_when_clusters_are_unchanged_and_a_record_joins() -> None:
    previous = {1: "A", 2: "A", 3: "B"}
    result = assign_stable_ids(previous, [[3], [1, 2, 4]], _ids())
    assert result.ids == {1: "A", 2: "A", 3: "B", 4: "A"}
    assert result.created == []
    assert result.merged_into == {}


def test_merge_keeps_the_larger_id_and_records_the_absorbed_one() -> None:
    previous = {1: "A", 2: "A", 3: "B"}
    result = assign_stable_ids(previous, [[1, 2, 3]], _ids())
    assert set(result.ids.values()) == {"A"}
    assert result.merged_into == {"B": "A"}
    merged = [e for e in result.events if e.kind is PersonEventKind.MERGED]
    assert merged[0].person_id == "B" and merged[0].other_ids == ("A",)
    assert resolve("B", result.merged_into) == "A"


def test_split_keeps_the_id_on_the_larger_part_and_records_the_new_one() -> None:
    previous = {1: "A", 2: "A", 3: "A"}
    result = assign_stable_ids(previous, [[1, 2], [3]], _ids())
    assert result.ids[1] == result.ids[2] == "A"
    assert result.ids[3] == "N1"
    split = [e for e in result.events if e.kind is PersonEventKind.SPLIT]
    assert split[0].person_id == "A" and split[0].other_ids == ("N1",)
    assert resolve("A", result.merged_into) == "A"


def test_ties_are_broken_deterministically() -> None:
    previous = {1: "B", 2: "A"}
    first = assign_stable_ids(previous, [[1, 2]], _ids())
    second = assign_stable_ids(previous, [[2, 1]], _ids())
    assert first.ids == second.ids == {1: "A", 2: "A"}


def test_resolve_follows_chains_and_refuses_loops() -> None:
    assert resolve("A", {"A": "B", "B": "C"}) == "C"
    with pytest.raises(ValueError, match="loops"):
        resolve("A", {"A": "B", "B": "A"})
