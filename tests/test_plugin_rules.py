"""Plug-in rules written outside the package change results as expected; errors are clear."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from runoff_abm.model.api import run
from runoff_abm.model.rules import RuleError
from runoff_abm.model.runoff import RunoffModel

ROOT = Path(__file__).resolve().parent.parent

STUDENT = '''
def clan_vote(member):
    """Arab and Druze members vote with their locality: for Peretz (finalist B)."""
    if member.sector in ("arab", "druze"):
        return 0.0
    return member.leaning

def everyone_votes(member):
    return 1.0

def typo(member):
    return member.leening

def not_a_probability(member):
    return 1.5
'''


@pytest.fixture
def rules_file(tmp_path):
    p = tmp_path / "student_rules.py"
    p.write_text(STUDENT)
    return p


# bloc members who comply with an active contractor vote as instructed whatever the choice rule
# says; with compliance switched off the rule decides every ballot
NO_COMPLIANCE = {"contractor_compliance": 0.0, "monitoring": 0.0}


def test_choice_rule_changes_exactly_what_it_should(rules_file):
    base = run("labor-2011", seed=3, members=8000, **NO_COMPLIANCE)
    clan = run("labor-2011", seed=3, members=8000, rules={"choice": f"{rules_file}:clan_vote"}, **NO_COMPLIANCE)
    b, c = base.by_sector.set_index("sector"), clan.by_sector.set_index("sector")
    assert c.loc["arab", "share_Yachimovich"] == 0.0 < b.loc["arab", "share_Yachimovich"]
    assert c.loc["druze", "share_Yachimovich"] == 0.0
    # the rule returns the leaning elsewhere: same draws, so identical votes there
    for s in ("kibbutz", "big city", "moshav", "development town"):
        assert c.loc[s, "votes_Yachimovich"] == b.loc[s, "votes_Yachimovich"]
    assert clan.votes["Peretz"] > base.votes["Peretz"]
    assert clan.turnout_votes == base.turnout_votes


def test_turnout_rule_and_engines_agree(rules_file):
    a = RunoffModel(scenario="labor-2011", seed=2, members=3000, rules={"turnout": f"{rules_file}:everyone_votes"})
    b = RunoffModel(scenario="labor-2011", seed=2, members=3000, engine="agents",
                    rules={"turnout": f"{rules_file}:everyone_votes"})
    ra, rb = a.run(), b.run()
    assert ra.turnout == 1.0 and ra.votes == rb.votes
    assert np.array_equal(a.state.vote, b.state.vote)


def test_a_python_function_can_be_passed_directly():
    r = run("labor-2011", seed=1, members=2000, rules={"choice": lambda m: 1.0 if m.round1 == "Herzog" else m.leaning})
    f = r.flows
    assert f.loc["Herzog", "Peretz"] <= f.loc["Herzog", "Yachimovich"]


def test_rule_named_in_a_scenario_file_runs_only_when_trusted_relative_to_it(tmp_path, rules_file):
    (tmp_path / "mine.toml").write_text('base = "labor-2011"\nname = "mine"\n[rules]\nchoice = "student_rules.py:clan_vote"\n'
                                        '[parameters]\ncontractor_compliance = 0.0\nmonitoring = 0.0\n')
    with pytest.raises(RuleError, match="--trust-rules"):
        run(str(tmp_path / "mine.toml"), seed=3, members=8000)
    r = run(str(tmp_path / "mine.toml"), seed=3, members=8000, trust_rules=True)
    assert r.by_sector.set_index("sector").loc["arab", "share_Yachimovich"] == 0.0
    assert r.rules["choice"]["origin"] == "scenario" and r.rules["choice"]["file"] == "student_rules.py"


@pytest.mark.parametrize("func,needle", [("typo", "raised AttributeError"), ("not_a_probability", "returned 1.5"),
                                         ("missing", "has no function 'missing'")])
def test_errors_in_student_code_are_reported_clearly(rules_file, func, needle):
    with pytest.raises(RuleError, match=needle) as err:
        run("labor-2011", seed=1, members=500, rules={"choice": f"{rules_file}:{func}"})
    assert "rule 'choice'" in str(err.value)


def test_cli_rule_errors_exit_2_without_traceback(rules_file):
    p = subprocess.run([sys.executable, "-m", "runoff_abm", "run", "--members", "500", "--rule",
                        f"choice={rules_file}:typo"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "student_rules.py:" in p.stderr and "leening" in p.stderr and p.stdout == ""
    p = subprocess.run([sys.executable, "-m", "runoff_abm", "run", "--members", "500", "--rule",
                        f"choice={rules_file}:clan_vote"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "Flow matrix" in p.stdout


def test_unknown_rule_name_is_refused():
    with pytest.raises(RuleError, match="allowed: turnout, choice"):
        RunoffModel(scenario="labor-2011", seed=1, members=100, rules={"vote": lambda m: 0.5})
