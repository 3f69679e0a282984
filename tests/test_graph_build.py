"""The influence graph's construction is frozen by hashes: the same edges, kinds and CSR arrays,
in the same order, for several seeds, sizes and degrees (``tests/golden/edges.json``).

The inputs (sectors, round-1 categories, activist camps) are synthetic and drawn here from a
fixed generator, so the hashes change only when the graph build itself changes. After an
*intended* change of the build, regenerate with ``python tests/test_graph_build.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from runoff_abm.model.network import Edges, build_edges
from runoff_abm.model.params import Params
from runoff_abm.model.rng import Streams

GOLDEN = Path(__file__).resolve().parent / "golden" / "edges.json"
CASES = [(members, seed, degree) for members in (300, 5000, 66310) for seed in (0, 1, 7) for degree in (10,)] + \
        [(3000, 5, degree) for degree in (2, 3, 40)]


def _inputs(members: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sectors (6), round-1 categories (6) and activist camps (about 3%) of ``members``."""
    rng = np.random.default_rng(20111221)
    sector = rng.integers(0, 6, members).astype(np.int16)
    r1 = rng.integers(0, 6, members).astype(np.int16)
    camp = np.where(rng.random(members) < 0.03, rng.integers(0, 4, members), -1).astype(np.int16)
    return sector, r1, camp


def edge_hash(edges: Edges) -> str:
    """sha256 of the edge arrays (u, v, kind) and the CSR arrays (indptr, indices)."""
    h = hashlib.sha256()
    for a in (edges.u, edges.v, edges.kind, edges.indptr, edges.indices):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _build(members: int, seed: int, degree: int) -> Edges:
    sector, r1, camp = _inputs(members)
    return build_edges(sector, r1, camp, Params(mean_degree=degree), Streams(seed).get("graph"))


@pytest.mark.parametrize(("members", "seed", "degree"), CASES)
def test_the_graph_build_gives_the_frozen_edges(members, seed, degree):
    golden = json.loads(GOLDEN.read_text())
    assert edge_hash(_build(members, seed, degree)) == golden[f"{members}/{seed}/{degree}"]


@pytest.mark.parametrize("seed", [0, 3])
def test_csr_rows_ascending_symmetric_without_self_ties_or_duplicates(seed):
    e = _build(2000, seed, 10)
    rows = np.repeat(np.arange(e.n), e.degree)
    assert np.all(e.u < e.v)
    assert len(np.unique(e.u * e.n + e.v)) == len(e.u)
    assert len(e.indices) == 2 * len(e.u)
    same_row = rows[1:] == rows[:-1]
    assert np.all(e.indices[1:][same_row] > e.indices[:-1][same_row])
    pairs = set(zip(rows.tolist(), e.indices.tolist(), strict=True))
    assert all((j, i) in pairs for i, j in pairs)


def test_from_pairs_drops_self_ties_and_keeps_the_first_kind():
    e = Edges.from_pairs(4, [0, 1, 2, 2, 3], [1, 0, 2, 3, 2], [0, 1, 0, 2, 1])
    assert e.u.tolist() == [0, 2] and e.v.tolist() == [1, 3]
    assert e.kind.tolist() == [0, 1]
    assert e.indptr.tolist() == [0, 1, 2, 3, 4] and e.indices.tolist() == [1, 0, 3, 2]


if __name__ == "__main__":  # regenerate the golden hashes after an intended change
    GOLDEN.write_text(json.dumps({f"{m}/{s}/{d}": edge_hash(_build(m, s, d)) for m, s, d in CASES}, indent=1,
                                 sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
