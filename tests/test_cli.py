"""Interface tests of the ``runoff`` command line, run as a subprocess (``python -m runoff_abm``).

Every subprocess runs in a fresh temporary directory, so the tests do not depend on the
current directory; the repository root (computed from this file) is put on ``PYTHONPATH`` so
the source tree under test is the one imported. Runs are kept small (``--members 3000``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LABOR_2011 = REPO / "scenarios" / "labor-2011.toml"
BUILTINS = sorted(p.stem for p in (REPO / "scenarios").glob("*.toml"))

MEMBERS = "3000"
# The official round-1 record of labor-2011 (rows of the flow matrix), and its roll.
OFFICIAL_ROUND1 = {"Yachimovich": 14203, "Peretz": 13616, "Herzog": 10848, "Mitzna": 5244,
                   "blank": 273, "abstained": 22126}
ROLL = 66310
FINALISTS = ("Yachimovich", "Peretz")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m runoff_abm ARGS`` in ``cwd`` and capture its output as bytes.

    Args:
        *args: the command-line arguments after ``runoff``.
        cwd: the working directory of the subprocess.

    Returns:
        The completed process (``returncode``, ``stdout`` and ``stderr`` as bytes).
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.pop("PYTHONHASHSEED", None)
    return subprocess.run([sys.executable, "-m", "runoff_abm", *args], cwd=cwd, env=env,
                          capture_output=True, timeout=120, check=False)


def ok(proc: subprocess.CompletedProcess) -> str:
    """Assert that ``proc`` succeeded cleanly and return its stdout as text."""
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    return proc.stdout.decode()


def snapshot(*dirs: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``dirs`` with its size and modification time (to detect writes)."""
    out = {}
    for d in dirs:
        for p in sorted(d.rglob("*")):
            st = p.stat()
            out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A temporary working directory shared by the module's successful runs."""
    return tmp_path_factory.mktemp("cwd")


@pytest.fixture(scope="module")
def text_run(workdir) -> bytes:
    """Stdout of ``runoff run --members 3000 --seed 5`` (the readable report)."""
    proc = run_cli("run", "--members", MEMBERS, "--seed", "5", cwd=workdir)
    ok(proc)
    return proc.stdout


@pytest.fixture(scope="module")
def json_run(workdir) -> dict:
    """The parsed output of ``runoff run --members 3000 --seed 5 --json``."""
    return json.loads(ok(run_cli("run", "--members", MEMBERS, "--seed", "5", "--json", cwd=workdir)))


# --------------------------------------------------------------------------- runoff run
def section(text: str, header: str) -> list[str]:
    """The lines of ``text`` after the line starting with ``header``, up to the next blank line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    out = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        out.append(line)
    return out


def test_run_prints_votes_shares_turnout_winner(text_run, json_run):
    text = text_run.decode()
    runoff = section(text, "Runoff")
    header = next(line for line in text.splitlines() if line.startswith("Runoff"))
    assert header.split() == ["Runoff", "simulated", "observed"]
    for f in FINALISTS:
        line = next(line for line in runoff if line.split()[0] == f)
        assert f"{json_run['votes'][f]:,}" in line and f"{json_run['shares'][f]:.1%}" in line
    turnout = next(line for line in runoff if line.split()[0] == "turnout")
    assert f"{json_run['turnout_votes']:,}" in turnout and f"{json_run['turnout']:.1%}" in turnout
    winner = next(line for line in runoff if line.split()[0] == "winner")
    assert winner.split()[1] == json_run["winner"]


def test_run_prints_the_observed_column(text_run):
    runoff = section(text_run.decode(), "Runoff")
    assert "22,299" in next(line for line in runoff if line.split()[0] == "Yachimovich")
    assert "18,769" in next(line for line in runoff if line.split()[0] == "Peretz")
    assert "41,068" in next(line for line in runoff if line.split()[0] == "turnout")
    assert next(line for line in runoff if line.split()[0] == "winner").split()[-1] == "Yachimovich"


def test_run_prints_the_flow_matrix(text_run, json_run):
    rows = section(text_run.decode(), "Flow matrix")
    assert rows[0].split() == [*FINALISTS, "abstained", "total"]
    by_name = {line.split()[0]: line.split()[1:] for line in rows[1:]}
    assert list(by_name) == [*OFFICIAL_ROUND1, "total"]
    for r, cells in json_run["flows"].items():
        values = [cells[c] for c in (*FINALISTS, "abstained")]
        assert by_name[r] == [f"{v:,}" for v in values] + [f"{sum(values):,}"]
    assert by_name["total"][-1] == "3,000"


def test_run_is_byte_identical_for_the_same_seed(text_run, workdir):
    again = run_cli("run", "--members", MEMBERS, "--seed", "5", cwd=workdir)
    ok(again)
    assert again.stdout == text_run


def test_run_differs_for_another_seed(text_run, workdir):
    other = run_cli("run", "--members", MEMBERS, "--seed", "6", cwd=workdir)
    ok(other)
    assert other.stdout != text_run
    assert b"one simulated draw (seed 6)" in other.stdout and b"one simulated draw (seed 5)" in text_run


def test_json_has_the_documented_keys(json_run):
    for key in ("scenario", "seed", "members", "winner", "votes", "shares", "turnout", "flows",
                "turnout_votes", "round1", "parameters"):
        assert key in json_run, key
    assert json_run["scenario"] == "labor-2011"
    assert json_run["seed"] == 5
    assert json_run["members"] == 3000
    assert set(json_run["votes"]) == set(FINALISTS)


def test_json_is_one_object(workdir):
    proc = run_cli("run", "--members", MEMBERS, "--seed", "5", "--json", "--compact", cwd=workdir)
    out = ok(proc)
    assert out.count("\n") == 1 and out.endswith("\n")
    assert isinstance(json.loads(out), dict)


def test_json_figures_are_consistent(json_run):
    votes, flows, members = json_run["votes"], json_run["flows"], json_run["members"]
    assert sum(votes.values()) == json_run["turnout_votes"]
    for f in FINALISTS:
        assert sum(row[f] for row in flows.values()) == votes[f]
    assert sum(row["abstained"] for row in flows.values()) == members - json_run["turnout_votes"]
    assert sum(json_run["shares"].values()) == pytest.approx(1.0)
    for f in FINALISTS:
        assert json_run["shares"][f] == pytest.approx(votes[f] / json_run["turnout_votes"])
    assert json_run["turnout"] == pytest.approx(json_run["turnout_votes"] / members)
    assert json_run["winner"] == max(FINALISTS, key=votes.get)


def test_json_flow_rows_are_the_round1_counts_scaled_to_members(json_run):
    flows, members = json_run["flows"], json_run["members"]
    row_sums = {r: sum(cells.values()) for r, cells in flows.items()}
    assert list(row_sums) == list(OFFICIAL_ROUND1)
    assert row_sums == json_run["round1"]
    assert sum(row_sums.values()) == members
    for r, official in OFFICIAL_ROUND1.items():
        assert abs(row_sums[r] - official * members / ROLL) < 1, r


def test_set_is_reflected_in_json_parameters(workdir, json_run):
    proc = run_cli("run", "--members", MEMBERS, "--seed", "5", "--json", "--set", "influence_rate=0.1",
                   cwd=workdir)
    data = json.loads(ok(proc))
    assert data["parameters"]["influence_rate"] == 0.1
    assert json_run["parameters"]["influence_rate"] != 0.1
    others = {k: v for k, v in data["parameters"].items() if k != "influence_rate"}
    assert others == {k: v for k, v in json_run["parameters"].items() if k != "influence_rate"}


# --------------------------------------------------------------------------- other commands
def test_scenarios_lists_every_builtin_one_per_line(workdir):
    lines = ok(run_cli("scenarios", cwd=workdir)).splitlines()
    assert [line.split()[0] for line in lines] == BUILTINS


def test_describe_shows_the_event_timeline(workdir):
    out = ok(run_cli("describe", "labor-2011", cwd=workdir))
    timeline = [line for line in section(out, "Event timeline") if line.startswith("  day ")]
    days = [int(line.split()[1].rstrip(":")) for line in timeline]
    assert sorted(set(days)) == [1, 2, 5, 7, 8, 9]
    assert days == sorted(days)
    assert timeline[-1].strip() == "day 9: runoff"
    assert any("Herzog declares neutrality" in line for line in timeline)


def test_params_lists_every_parameter(workdir):
    from runoff_abm.model.params import PARAM_SPECS

    out = ok(run_cli("params", cwd=workdir))
    listed = {line.split()[0] for line in out.splitlines() if line.startswith("  ") and line.split()}
    for spec in PARAM_SPECS:
        assert spec.name in listed, spec.name


# --------------------------------------------------------------------------- bad input
def mutated_labor(old: str, new: str) -> str:
    """The text of labor-2011.toml with the single occurrence of ``old`` replaced by ``new``."""
    text = LABOR_2011.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    return text.replace(old, new)


# (id, mutation of labor-2011.toml as (old, new), expected substrings of the message)
BAD_FILES = [
    pytest.param(("roll = 66310", "roll = = 66310"), ("TOML syntax error", "line"), id="malformed-toml"),
    pytest.param(("election_day = 9", 'election_day = 9\ncolour = "red"'),
                 ("colour", "unknown field", "allowed here: name, title"), id="unknown-field"),
    pytest.param(('by = "Mitzna"\nfor = "Peretz"', 'by = "Mitzna"\nfor = "Netanyahu"'),
                 ("events[4].for", "'Netanyahu'", "allowed: Yachimovich, Peretz"), id="unknown-candidate-in-event"),
    pytest.param(("votes = 14203", "votes = -14203"), ("candidates[0].votes", "allowed: [0, inf]"),
                 id="negative-count"),
    pytest.param(("votes = 14203", "votes = 14203.5"), ("candidates[0].votes", "whole number"),
                 id="non-integer-count"),
    pytest.param(("roll = 66310", "roll = 40000"), ("roll", "exceed the roll",
                                                    "the roll must be at least the number of ballots"),
                 id="round1-exceeds-roll"),
    pytest.param(('kind = "neutral"\nday = 5', 'kind = "neutral"\nday = 10'), ("events[3].day", "allowed: 1..8"),
                 id="event-after-election-day"),
    pytest.param(("[observed]", "[parameters]\ninfluence_rate = 1.5\n\n[observed]"),
                 ("parameters.influence_rate", "allowed [0.0, 1.0]"), id="parameter-out-of-range"),
    pytest.param(('finalists = ["Yachimovich", "Peretz"]', 'finalists = ["Yachimovich", ["Peretz"]]'),
                 ("finalists", "two different candidate names"), id="finalists-nested-array"),
]


def assert_clean_failure(proc: subprocess.CompletedProcess, *expected: str) -> None:
    """Assert exit status 2, empty stdout, one ``runoff: error:`` line naming ``expected``.

    Args:
        proc: the completed CLI process.
        *expected: substrings the error message must contain (file or option, field, allowed).
    """
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
    assert proc.returncode == 2, err
    assert proc.stdout == b""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("runoff: error: "), err
    for text in expected:
        assert text in lines[0], (text, err)


@pytest.mark.parametrize("command", ["run", "describe"])
@pytest.mark.parametrize(("mutation", "expected"), BAD_FILES)
def test_bad_scenario_file_fails_cleanly(tmp_path, command, mutation, expected):
    inputs, cwd = tmp_path / "in", tmp_path / "cwd"
    inputs.mkdir()
    cwd.mkdir()
    path = inputs / "bad.toml"
    path.write_text(mutated_labor(*mutation), encoding="utf-8")
    before = snapshot(inputs, cwd)
    args = [command, str(path)] + (["--members", MEMBERS] if command == "run" else [])
    proc = run_cli(*args, cwd=cwd)
    assert_clean_failure(proc, str(path), *expected)
    assert snapshot(inputs, cwd) == before


def test_relative_scenario_path_is_named_as_given(tmp_path):
    (tmp_path / "bad.toml").write_text(mutated_labor("votes = 14203", "votes = -1"), encoding="utf-8")
    before = snapshot(tmp_path)
    proc = run_cli("run", "bad.toml", "--members", MEMBERS, cwd=tmp_path)
    assert_clean_failure(proc, "runoff: error: bad.toml: candidates[0].votes: ", "allowed: [0, inf]")
    assert snapshot(tmp_path) == before


BAD_OPTIONS = [
    pytest.param(["--set", "foo=1"], ("--set foo=1", "unknown parameter", "allowed: mean_degree"),
                 id="set-unknown-parameter"),
    pytest.param(["--set", "influence_rate=2"], ("--set influence_rate=2", "out of range", "allowed [0.0, 1.0]"),
                 id="set-out-of-range"),
    pytest.param(["--set", "influence_rate"], ("--set influence_rate", "expected name=value"),
                 id="set-without-equals"),
    pytest.param(["--set", "influence_rate=fast"], ("--set influence_rate=fast", "'fast' is not a number",
                                                    "allowed [0.0, 1.0]"), id="set-non-numeric"),
    pytest.param(["--set", "mean_degree=2.5"], ("--set mean_degree=2.5", "not an integer", "allowed [2, 200]"),
                 id="set-non-integer-for-int-parameter"),
    pytest.param(["--seed", "-1"], ("--seed: -1 is out of range", "allowed: 0 to"), id="negative-seed"),
    pytest.param(["--seed=-7"], ("--seed: -7 is out of range", "allowed: 0 to"), id="negative-seed-equals"),
    pytest.param(["--seed", "five"], ("--seed: 'five' is not a whole number", "allowed: 0 to"),
                 id="non-numeric-seed"),
    pytest.param(["--members", "1"], ("--members: 1 is out of range", "allowed: 2 to"), id="members-too-small"),
    pytest.param(["labor-2012"], ("labor-2012", "no such built-in scenario", "built-ins: " + ", ".join(BUILTINS)),
                 id="unknown-scenario-name"),
    pytest.param(["{tmp}/missing.toml"], ("{tmp}/missing.toml", "cannot read the file"), id="missing-file-path"),
    pytest.param(["{tmp}/no/such/dir/x.toml"], ("{tmp}/no/such/dir/x.toml", "cannot read the file"),
                 id="missing-directory"),
]


@pytest.mark.parametrize(("options", "expected"), BAD_OPTIONS)
def test_bad_option_fails_cleanly(tmp_path, options, expected):
    options = [o.replace("{tmp}", str(tmp_path)) for o in options]
    expected = [e.replace("{tmp}", str(tmp_path)) for e in expected]
    before = snapshot(tmp_path)
    proc = run_cli("run", "--members", MEMBERS, *options, cwd=tmp_path)
    assert_clean_failure(proc, *expected)
    assert snapshot(tmp_path) == before


def test_describe_unknown_scenario_fails_cleanly(tmp_path):
    proc = run_cli("describe", "labor-2012", cwd=tmp_path)
    assert_clean_failure(proc, "labor-2012", "built-ins: labor-2011")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("members", [
    pytest.param("2", id="members-2"),
    pytest.param("3", id="members-3"),
    pytest.param("10", id="members-10"),
])
def test_small_member_counts_run_or_fail_cleanly(tmp_path, members):
    proc = run_cli("run", "--members", members, "--seed", "0", cwd=tmp_path)
    assert "Traceback" not in proc.stderr.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    assert "Flow matrix" in proc.stdout.decode()
