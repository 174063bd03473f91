"""The rule that calls two sets of machine components one machine."""

from __future__ import annotations

import pytest

from aspel.licensing.server.domain.machine_match import (
    MatchPolicy,
    best_match,
    clone_pairs,
    same_machine,
    shared_kinds,
)

A = {"machine_id": "1", "system_uuid": "2", "system_disk": "3", "network_mac": "4"}


def test_two_of_four_is_the_same_machine_by_default() -> None:
    assert same_machine(A, {**A, "machine_id": "x", "system_uuid": "y"}, MatchPolicy())
    assert not same_machine(
        A,
        {"machine_id": "x", "system_uuid": "y", "system_disk": "z", "network_mac": "4"},
        MatchPolicy(),
    )


def test_the_threshold_is_configurable() -> None:
    three = {**A, "machine_id": "x"}
    assert same_machine(A, three, MatchPolicy(min_matching=3))
    assert not same_machine(A, {**three, "system_uuid": "y"}, MatchPolicy(min_matching=3))
    with pytest.raises(ValueError):
        MatchPolicy(min_matching=0)
    with pytest.raises(ValueError):
        MatchPolicy(min_matching=5)


def test_only_kinds_both_sides_have_and_know_count() -> None:
    assert shared_kinds({"machine_id": "1"}, A) == ["machine_id"]
    assert shared_kinds({"tpm": "9", "gpu": "8"}, {"tpm": "9", "gpu": "8"}) == []
    assert shared_kinds(None, A) == [] and shared_kinds(A, {}) == []


def test_the_best_match_shares_most_and_the_oldest_wins_ties() -> None:
    two = {**A, "machine_id": "x", "system_uuid": "y"}
    three = {**A, "machine_id": "x"}
    assert best_match(A, [("old", two), ("new", three)], MatchPolicy()) == "new"
    assert best_match(A, [("old", two), ("new", two)], MatchPolicy()) == "old"
    assert best_match({"machine_id": "1"}, [("only", A)], MatchPolicy()) is None


def test_clone_pairs_name_older_then_newer() -> None:
    other = {"machine_id": "x", "system_uuid": "y", "system_disk": "3", "network_mac": "4"}
    stranger = {"machine_id": "p", "system_uuid": "q", "system_disk": "r", "network_mac": "4"}
    pairs = clone_pairs([("a", A), ("b", other), ("c", stranger), ("d", None)], MatchPolicy())
    assert pairs == [("a", "b", ["system_disk", "network_mac"])]
