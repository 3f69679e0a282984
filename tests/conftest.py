"""Shared fixtures: tiny hand-built scenarios and graphs for rule-level unit tests, and the app
server and Chromium for the browser tests (skipped when Chromium or Playwright is missing).

Under CI (``CI`` set, as ``.ci/run`` does) the browser tests must run: a missing Chromium or
Playwright stops the session instead of silently skipping them.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from runoff_abm.agents import Activist, Member
from runoff_abm.model.engine import ENGINES
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import parse_scenario


def pytest_sessionstart(session):
    if os.environ.get("CI"):
        from runoff_abm.viz.testing import chromium

        if chromium() is None or importlib.util.find_spec("playwright") is None:
            pytest.exit("CI: the browser tests need Debian's chromium (apt-get install -y chromium) and "
                        "Playwright (pip install -e '.[dev]'); .ci/run installs both", returncode=3)


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (sync API), one per test module."""
    from runoff_abm.viz.testing import CHROMIUM_ARGS, chromium

    if chromium() is None:
        pytest.skip("Debian's chromium is not installed (/usr/bin/chromium); install it with: apt-get install -y chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(request):
    """The app on 127.0.0.1 (``runoff viz`` in a subprocess), one per test module; its log
    goes to ``test-artifacts/app-server-MODULE.log``."""
    from runoff_abm.viz.testing import AppServer

    with AppServer(log=ARTIFACTS / f"app-server-{request.module.__name__}.log") as srv:
        yield srv


TINY = {
    "name": "tiny",
    "roll": 8,
    "election_day": 4,
    "finalists": ["A", "B"],
    "candidates": [
        {"name": "A", "votes": 3, "activists": 1},
        {"name": "B", "votes": 2, "activists": 1},
        {"name": "C", "votes": 2, "activists": 1},
    ],
    "contractors": [{"name": "broker", "patron": "C", "bloc": 2}],
}


def tiny_scenario(**changes):
    """The TINY scenario (3 candidates, 8 members) with top-level fields replaced."""
    return parse_scenario({**TINY, **changes}, source="<tiny>")


def rebuild(model, *, r1=None, camp=None, bloc=None, leaning=None, propensity=None,
            susceptibility=None, station=None):
    """Overwrite member state arrays of ``model`` and rebuild its engine (which caches the
    activist list), its contractors' member lists and the members' visibility and compliance,
    so a unit test controls who is who (and who votes where)."""
    st = model.state
    for name, value in (("r1", r1), ("camp", camp), ("bloc", bloc), ("leaning", leaning),
                        ("propensity", propensity), ("susceptibility", susceptibility), ("station", station)):
        if value is not None:
            arr = getattr(st, name)
            setattr(st, name, np.asarray(value, dtype=arr.dtype))
    model.refresh_blocs()
    for i, agent in enumerate(model.members):
        wanted = Activist if st.camp[i] >= 0 else Member
        if type(agent) is not wanted:
            agent.remove()
            model.members[i] = wanted(model, i)
    model.engine = ENGINES[model.engine.name](model)
    return model


@pytest.fixture(params=sorted(ENGINES))
def engine(request):
    """Each engine in turn: every rule test runs on both."""
    return request.param


@pytest.fixture
def star():
    """Member 0 tied to 1, 2 and 3; members 4..7 tied in a path 4-5-6-7 (not to 0)."""
    g = nx.Graph()
    g.add_nodes_from(range(8))
    g.add_edges_from([(0, 1), (0, 2), (0, 3), (4, 5), (5, 6), (6, 7)])
    return g


def tiny_model(graph, engine="array", scenario=None, **params):
    """A RunoffModel on the tiny scenario over a hand-built graph, seed 1."""
    return RunoffModel(scenario=scenario or tiny_scenario(), seed=1, members=graph.number_of_nodes(),
                       graph=graph, engine=engine, **params)
