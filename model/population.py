"""Initialisation of the member population from a scenario.

Deterministic arithmetic (scaling, the sector x round-1 table) plus seeded draws (who is in which
cell, blocs, activists, initial leanings and propensities). The one invariant that matters most:
**round 1 is reproduced exactly** -- the number of members in each round-1 category (each
candidate, blank, abstained) equals the scenario's count, scaled to the member count by largest
remainder when the model runs on fewer (or more) members than the roll.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from runoff_abm.model.params import Params
from runoff_abm.model.scenario import Scenario

__all__ = ["largest_remainder", "scaled_counts", "sector_table", "sector_stations", "assign_stations",
           "bloc_visibility", "Population", "build_population"]


def largest_remainder(weights, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that sum exactly to ``total`` (Hamilton's method).

    Ties in the remainders go to the earlier index, so the result is deterministic.
    """
    w = np.asarray(weights, dtype=float)
    if total < 0 or (w < 0).any():
        raise ValueError("largest_remainder needs non-negative weights and total")
    s = w.sum()
    if s == 0:
        if total == 0:
            return np.zeros(len(w), dtype=np.int64)
        raise ValueError("cannot apportion a positive total over zero weights")
    quota = w * (total / s)
    base = np.floor(quota).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.lexsort((np.arange(len(w)), -(quota - base)))
        base[order[:short]] += 1
    return base


def scaled_counts(scn: Scenario, members: int) -> np.ndarray:
    """Round-1 count per category (candidates, blank, abstained), scaled to ``members``."""
    counts = np.array(scn.round1_counts(), dtype=np.int64)
    if members == scn.roll:
        return counts
    return largest_remainder(counts, members)


def scale_int(value: int, members: int, roll: int, keep_positive: bool = True) -> int:
    """Scale a head-count (bloc, activists) from the roll to ``members``; >= 1 if it was > 0."""
    if value <= 0:
        return 0
    v = int(round(value * members / roll))
    return max(v, 1) if keep_positive else v


def sector_table(scn: Scenario, counts: np.ndarray, members: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer table sectors x categories whose row sums are the sector sizes and whose column
    sums are exactly ``counts``.

    The seed table uses each sector's round-1 turnout and vote split where the scenario gives
    them (the scenario-wide figures where not); iterative proportional fitting makes it match
    both margins; an integer rounding that keeps both margins finishes it.

    Returns:
        (sizes, table): sector sizes (S,) and the table (S, K) with K = candidates + 2.
    """
    if not scn.sectors:
        return np.array([members]), counts.reshape(1, -1).copy()
    sizes = largest_remainder([s.share for s in scn.sectors], members)
    k = len(counts)
    ncand = k - 2
    ballots = counts[:-1].sum()
    g_turnout = ballots / max(counts.sum(), 1)
    g_split = counts[:ncand] / max(counts[:ncand].sum(), 1)
    g_blank = counts[ncand] / max(ballots, 1)
    names = [c.name for c in scn.candidates]
    seed = np.zeros((len(sizes), k))
    for i, s in enumerate(scn.sectors):
        t = g_turnout if s.turnout is None else s.turnout
        if s.votes:
            split = np.array([s.votes.get(n, 0.0) for n in names], dtype=float)
            split = split / split.sum()
        else:
            split = g_split
        seed[i, :ncand] = sizes[i] * t * (1 - g_blank) * split
        seed[i, ncand] = sizes[i] * t * g_blank
        seed[i, ncand + 1] = sizes[i] * (1 - t)
    # a small floor keeps every margin reachable (a category absent from every seed row)
    seed = seed + 1e-9
    m = seed
    for _ in range(500):
        rs = m.sum(axis=1)
        m = m * (sizes / np.where(rs > 0, rs, 1))[:, None]
        cs = m.sum(axis=0)
        m = m * (counts / np.where(cs > 0, cs, 1))[None, :]
        if np.abs(m.sum(axis=1) - sizes).max() < 1e-6:
            break
    return sizes, _integerise(m, sizes, counts)


def _integerise(m: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Round a non-negative table to integers with exactly the given row and column sums.

    Floors first; a row whose floors overshoot (possible only when the fit did not converge,
    e.g. tiny member counts) gives back units from its smallest cells; then units go to the
    cells with the largest fractional parts whose row and column both still lack units, and
    any remainder pairs a deficient row with a deficient column.
    """
    m = np.clip(m, 0, None)
    out = np.floor(m).astype(np.int64)
    rdef = rows - out.sum(axis=1)
    for i in np.flatnonzero(rdef < 0):
        for j in np.argsort(m[i] - out[i], kind="stable"):
            while rdef[i] < 0 and out[i, j] > 0:
                out[i, j] -= 1
                rdef[i] += 1
    cdef = cols - out.sum(axis=0)
    for j in np.flatnonzero(cdef < 0):  # symmetric case for columns
        for i in np.argsort(m[:, j] - out[:, j], kind="stable"):
            while cdef[j] < 0 and out[i, j] > 0:
                out[i, j] -= 1
                cdef[j] += 1
    rdef = rows - out.sum(axis=1)
    frac = (m - out).ravel()
    for flat in np.lexsort((np.arange(frac.size), -frac)):
        i, j = divmod(int(flat), m.shape[1])
        if rdef[i] > 0 and cdef[j] > 0:
            out[i, j] += 1
            rdef[i] -= 1
            cdef[j] -= 1
    for i in np.flatnonzero(rdef > 0):
        while rdef[i] > 0:
            j = int(np.flatnonzero(cdef > 0)[0])
            step = min(rdef[i], cdef[j])
            out[i, j] += step
            rdef[i] -= step
            cdef[j] -= step
    assert (out.sum(axis=1) == rows).all() and (out.sum(axis=0) == cols).all() and (out >= 0).all()
    return out


@dataclass
class Population:
    """The member arrays the model keeps as its state (index = member id = graph node)."""

    r1: np.ndarray            # int16 (n,): round-1 category (candidate index, blank, abstained)
    sector: np.ndarray        # int16 (n,): sector index
    bloc: np.ndarray          # int32 (n,): contractor index or -1
    camp: np.ndarray          # int16 (n,): activist's camp (candidate index) or -1 if not an activist
    leaning: np.ndarray       # float64 (n,): probability of voting for finalist A
    propensity: np.ndarray    # float64 (n,): own turnout propensity
    susceptibility: np.ndarray  # float64 (n,)
    station: np.ndarray | None = None        # int32 (n,): polling station (global index)
    station_sizes: np.ndarray | None = None  # (T,) members per station
    station_sector: np.ndarray | None = None  # (T,) sector of each station
    visibility: np.ndarray | None = None     # float64 (n,): own bloc's share of own station (0 if no bloc)

    def copy(self) -> Population:
        """A copy whose arrays are fresh (a model changes its members' arrays as it runs)."""
        return Population(**{f.name: (v.copy() if isinstance(v := getattr(self, f.name), np.ndarray) else v)
                             for f in fields(self)})

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays."""
        return sum(v.nbytes for f in fields(self) if isinstance(v := getattr(self, f.name), np.ndarray))


def sector_stations(scn: Scenario, sizes: np.ndarray) -> np.ndarray:
    """Polling stations per sector.

    A sector's own ``stations`` if given; otherwise the rest of the scenario's ``stations`` total,
    apportioned by share (largest remainder) with at least one per sector; with no total, one
    station per sector (results counted only by sector: blocs are hidden). Capped at the sector's
    member count, so that every station has a member (matters only for tiny member counts).
    """
    if not scn.sectors:
        k = np.array([scn.stations or 1], dtype=np.int64)
    else:
        given = np.array([s.stations or 0 for s in scn.sectors], dtype=np.int64)
        free = given == 0
        k = given.copy()
        if free.any():
            if scn.stations is None:
                k[free] = 1
            else:
                spare = scn.stations - int(given.sum()) - int(free.sum())
                k[free] = 1 + largest_remainder([s.share for s, f in zip(scn.sectors, free, strict=True) if f], spare)
    return np.minimum(k, np.maximum(np.asarray(sizes, dtype=np.int64), 1))


def assign_stations(scn: Scenario, sector: np.ndarray, bloc: np.ndarray, sizes: np.ndarray,
                    rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Place every member in a polling station of its sector, blocs concentrated.

    A sector's stations have equal sizes (largest remainder). Each contractor's members in the
    sector (scenario order) go to its ``stations`` stations (default: the fewest that can hold
    them: a bloc is a locality), those with the most room first, in proportion to their room;
    members who do not fit go to the next stations with room. Everyone else fills the remaining
    places at random. The visibility of a bloc member is its bloc's share of its station.

    Returns:
        (station, station_sizes, station_sector, visibility).
    """
    n = len(sector)
    k = sector_stations(scn, sizes)
    station = np.empty(n, dtype=np.int32)
    st_sizes, st_sector = [], []
    offset, start = 0, 0
    specs = scn.contractors
    for s, size in enumerate(np.asarray(sizes, dtype=np.int64)):
        ids = np.arange(start, start + size)
        start += size
        if size == 0:
            continue
        kk = int(k[s])
        caps = largest_remainder(np.ones(kk), int(size))
        room = caps.copy()
        local = np.full(size, -1, dtype=np.int64)
        b = bloc[ids]
        for c in np.unique(b[b >= 0]):
            mine = np.flatnonzero(b == c)
            want = len(mine)
            h = specs[c].stations if specs[c].stations is not None else int(np.ceil(want * kk / size))
            h = int(min(max(h, 1), kk))
            order = np.argsort(-room, kind="stable")
            chosen = order[:h]
            counts = np.zeros(kk, dtype=np.int64)
            fit = min(want, int(room[chosen].sum()))
            if fit:
                counts[chosen] = np.minimum(largest_remainder(room[chosen], fit), room[chosen])
            while counts.sum() < want:  # overflow (and rounding against the caps): next stations with room
                left = room - counts
                j = int(np.argmax(left))
                counts[j] += min(int(left[j]), want - int(counts.sum()))
            room -= counts
            local[mine] = rng.permutation(np.repeat(np.arange(kk), counts))
        rest = np.flatnonzero(local < 0)
        local[rest] = rng.permutation(np.repeat(np.arange(kk), room))
        station[ids] = offset + local
        st_sizes.append(caps)
        st_sector.append(np.full(kk, s, dtype=np.int32))
        offset += kk
    station_sizes = np.concatenate(st_sizes) if st_sizes else np.zeros(0, dtype=np.int64)
    station_sector = np.concatenate(st_sector) if st_sector else np.zeros(0, dtype=np.int32)
    return station, station_sizes, station_sector, bloc_visibility(station, bloc)


def bloc_visibility(station: np.ndarray, bloc: np.ndarray) -> np.ndarray:
    """Each member's bloc's share of the member's polling station (0 for a member in no bloc):
    how visible the bloc's vote is in the station's count."""
    if len(station) == 0:
        return np.zeros(0)
    sizes = np.bincount(station)
    key = station.astype(np.int64) * (int(bloc.max(initial=-1)) + 2) + (bloc.astype(np.int64) + 1)
    if int(key.max()) < 4 * len(key) + 1024:  # the usual case: count (station, bloc) pairs directly
        counts = np.bincount(key)[key]
    else:
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        counts = counts[inverse.reshape(-1)]
    return np.where(bloc >= 0, counts / sizes[station], 0.0)


def _beta(rng: np.random.Generator, mean: np.ndarray, conc: float) -> np.ndarray:
    """Beta draws with the given means and concentration (means clipped into (0, 1))."""
    mean = np.clip(mean, 1e-4, 1 - 1e-4)
    return rng.beta(mean * conc, (1 - mean) * conc)


def build_population(scn: Scenario, members: int, params: Params,
                     rng: np.random.Generator, station_rng: np.random.Generator | None = None) -> Population:
    """Draw the members of a scenario scaled to ``members``.

    Args:
        scn: the scenario.
        members: number of members to simulate (the roll, or fewer for speed).
        params: model parameters.
        rng: the initialisation stream.
        station_rng: the stream that places members in polling stations (default: a fresh
            generator seeded 0, for callers that do not care).
    """
    counts = scaled_counts(scn, members)
    sizes, table = sector_table(scn, counts, members)
    ncand = len(scn.candidates)
    blank, abst = ncand, ncand + 1

    # who is where: each sector's slice of ids gets its table row, shuffled
    # int16 codes (the loader's limits keep categories and sectors far below 2**15); int32 beyond
    code = np.int16 if max(ncand + 2, len(sizes)) < np.iinfo(np.int16).max else np.int32
    r1: np.ndarray = np.empty(members, dtype=code)
    sector = np.repeat(np.arange(len(sizes), dtype=code), sizes)
    start = 0
    for i, size in enumerate(sizes):
        cats = np.repeat(np.arange(table.shape[1], dtype=code), table[i])
        r1[start:start + size] = rng.permutation(cats)
        start += size

    # contractor blocs: the patron's round-1 voters in the contractor's sector (then anywhere)
    bloc = np.full(members, -1, dtype=np.int32)
    names = [c.name for c in scn.candidates]
    sec_names = [s.name for s in scn.sectors]
    for c, spec in enumerate(scn.contractors):
        want = scale_int(spec.bloc, members, scn.roll)
        patron = names.index(spec.patron)
        pool = (r1 == patron) & (bloc < 0)
        if spec.sector is not None:
            local = np.flatnonzero(pool & (sector == sec_names.index(spec.sector)))
        else:
            local = np.flatnonzero(pool)
        chosen = rng.permutation(local)[:want]
        if len(chosen) < want:
            rest = np.setdiff1d(np.flatnonzero(pool), chosen)
            chosen = np.concatenate([chosen, rng.permutation(rest)[: want - len(chosen)]])
        bloc[chosen] = c

    # activists: round-1 voters of their candidate, outside blocs where possible
    camp = np.full(members, -1, dtype=code)
    for k, cand in enumerate(scn.candidates):
        want = scale_int(cand.activists, members, scn.roll)
        if want == 0:
            continue
        free = np.flatnonzero((r1 == k) & (bloc < 0))
        picked = rng.permutation(free)[:want]
        if len(picked) < want:
            rest = np.flatnonzero((r1 == k) & (bloc >= 0))
            picked = np.concatenate([picked, rng.permutation(rest)[: want - len(picked)]])
        camp[picked] = k

    # leanings: finalists' voters loyal; others mix sector and their candidate's leaning
    a_idx, b_idx = names.index(scn.finalists[0]), names.index(scn.finalists[1])
    sec_lean = np.array([s.lean for s in scn.sectors] or [0.5])[sector]
    lean_of = [c.lean if c.finalist or params.transfer_lean < 0 else params.transfer_lean for c in scn.candidates]
    cand_lean = np.array(lean_of + [0.5, 0.5])[r1]
    # without sectors there is no sector leaning to weigh: the candidate's leaning alone
    w = params.sector_weight if scn.sectors else 0.0
    mean_lean: np.ndarray = np.where(r1 >= blank, sec_lean, w * sec_lean + (1 - w) * cand_lean)
    mean_lean = np.where(r1 == a_idx, params.finalist_loyalty, mean_lean)
    mean_lean = np.where(r1 == b_idx, 1 - params.finalist_loyalty, mean_lean)
    leaning = _beta(rng, mean_lean, params.leaning_concentration)

    # propensities: habit, less for orphaned voters, less own habit for bloc members
    voted = r1 != abst
    mean_p = np.where(voted, params.habit_voter, params.abstainer_reentry)
    orphan = voted & (r1 != a_idx) & (r1 != b_idx)
    mean_p = np.where(orphan, mean_p * (1 - params.orphan_demobilisation), mean_p)
    mean_p = np.where(bloc >= 0, mean_p * (1 - params.bloc_habit_discount), mean_p)
    propensity = _beta(rng, mean_p, params.propensity_concentration)
    if scn.electorate == "round1_voters":  # round-1 abstainers may not vote (the draws stay the same)
        propensity[~voted] = 0.0
    susceptibility = _beta(rng, np.full(members, params.susceptibility_mean), 4.0)

    station, station_sizes, station_sector, visibility = assign_stations(
        scn, sector, bloc, sizes, station_rng if station_rng is not None else np.random.default_rng(0))

    return Population(r1=r1, sector=sector, bloc=bloc, camp=camp, leaning=leaning,
                      propensity=propensity, susceptibility=susceptibility, station=station,
                      station_sizes=station_sizes, station_sector=station_sector, visibility=visibility)
