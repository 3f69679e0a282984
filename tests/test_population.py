"""Unit tier: scaling and the exact reproduction of round 1."""

from __future__ import annotations

import numpy as np
import pytest

from runoff_abm.model.population import largest_remainder, scaled_counts, sector_table
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import builtin_names, load_scenario


@pytest.mark.parametrize("weights,total", [([1, 1, 1], 10), ([14203, 13616, 10848, 5244, 273, 22126], 10000),
                                           ([0.5, 0.25, 0.25], 7), ([3, 0, 5], 0), ([2, 2], 3)])
def test_largest_remainder_sums_exactly_and_stays_within_one_of_the_quota(weights, total):
    out = largest_remainder(weights, total)
    assert out.sum() == total
    quota = np.asarray(weights, float) * total / np.sum(weights)
    assert np.all(np.abs(out - quota) < 1)


def test_largest_remainder_is_deterministic_on_ties():
    assert list(largest_remainder([1, 1, 1], 2)) == [1, 1, 0]


@pytest.mark.parametrize("members", [66310, 10000, 777, 50])
def test_round1_is_reproduced_exactly(members):
    scn = load_scenario("labor-2011")
    m = RunoffModel(scenario=scn, seed=4, members=members)
    counts = np.bincount(m.state.r1, minlength=len(scn.categories))
    assert list(counts) == list(scaled_counts(scn, members))
    if members == scn.roll:
        assert list(counts) == [14203, 13616, 10848, 5244, 273, 22126]


@pytest.mark.parametrize("members", [66310, 12345])
def test_scaled_counts_preserve_proportions(members):
    scn = load_scenario("labor-2011")
    counts = scaled_counts(scn, members)
    exact = np.array(scn.round1_counts()) * members / scn.roll
    assert counts.sum() == members
    assert np.all(np.abs(counts - exact) < 1)


@pytest.mark.parametrize("name", builtin_names())
def test_sector_table_has_exact_margins(name):
    scn = load_scenario(name)
    counts = scaled_counts(scn, scn.roll)
    sizes, table = sector_table(scn, counts, scn.roll)
    assert (table >= 0).all()
    assert list(table.sum(axis=0)) == list(counts)
    assert list(table.sum(axis=1)) == list(sizes)


def test_sector_table_follows_the_sourced_sector_turnouts():
    scn = load_scenario("labor-2011")
    sizes, table = sector_table(scn, scaled_counts(scn, scn.roll), scn.roll)
    for s, size, row in zip(scn.sectors, sizes, table, strict=True):
        turnout = 1 - row[-1] / size
        assert turnout == pytest.approx(s.turnout, abs=0.02), s.name


def test_blocs_are_the_patrons_round1_voters_in_their_sector():
    m = RunoffModel(scenario="labor-2011", seed=2, members=20000)
    st = m.state
    for c in m.contractors:
        assert len(c.members) > 0
        assert np.all(st.r1[c.members] == c.patron)
        assert np.all(np.array(m.sector_names)[st.sector[c.members]] == c.sector)
    assert len(np.unique(np.concatenate([c.members for c in m.contractors]))) == sum(
        len(c.members) for c in m.contractors)


def test_activists_voted_for_their_camp_and_finalists_activists_are_pinned():
    m = RunoffModel(scenario="labor-2011", seed=2, members=20000)
    st = m.state
    acts = np.flatnonzero(st.camp >= 0)
    assert np.all(st.r1[acts] == st.camp[acts])
    a, b = m.finalist_index
    assert np.all(st.leaning[st.camp == a] == 1.0) and np.all(st.leaning[st.camp == b] == 0.0)


def test_habit_round1_voters_are_far_likelier_to_vote_again():
    m = RunoffModel(scenario="labor-2011", seed=2, members=20000)
    st = m.state
    abst = len(m.categories) - 1
    voters, abstainers = st.propensity[st.r1 != abst], st.propensity[st.r1 == abst]
    assert voters.mean() - abstainers.mean() > 0.4   # Gerber, Green & Shachar 2003: ~47 points
