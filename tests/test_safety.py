"""Safety of every input path (issue 11, ``docs/security.md``): hostile and careless scenario
files, options and rules give one clear message (exit status 2 on the command line), never a
traceback, a hang or code run without its owner's say; results encode "no votes" without NaN;
models release their Mesa registration.

In-process tests call the loader and the model; interface tests run ``python -m runoff_abm`` as
a subprocess in a temporary working directory (a different one from the repository root).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import os
import re
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from runoff_abm.model.api import run
from runoff_abm.model.errors import InputError, RuleError, ScenarioError, clean_text
from runoff_abm.model.limits import DEFAULT_LIMITS, UPLOAD_LIMITS
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import RESERVED_NAMES, load_scenario, load_scenario_bytes

REPO = Path(__file__).resolve().parents[1]
LABOR = (REPO / "scenarios" / "labor-2011.toml").read_text(encoding="utf-8")
EXERCISE_5 = REPO / "exercises" / "05-your-own-rule"

TINY = """\
name = "tiny"
roll = 40
election_day = 4
finalists = ["A", "B"]

[[candidates]]
name = "A"
votes = 12

[[candidates]]
name = "B"
votes = 10

[[candidates]]
name = "C"
votes = 8
"""


def cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m runoff_abm ARGS`` in ``cwd`` (the source tree under test first on the path)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "runoff_abm", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout, check=False)


def one_clean_line(proc: subprocess.CompletedProcess, *expected: str) -> str:
    """Assert exit 2, nothing on stdout, one ``runoff: error:`` line containing ``expected``."""
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert proc.returncode == 2, err
    assert proc.stdout == b"", proc.stdout[:300]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runoff: error: "), err
    for text in expected:
        assert text in lines[0], (text, err)
    return lines[0]


def no_nan(text: str):
    """JSON that must hold no NaN or infinity (``json.loads`` accepts them by default)."""
    def refuse(token):
        raise AssertionError(f"{token} in JSON output")

    return json.loads(text, parse_constant=refuse)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def candidates_toml(n: int) -> str:
    """A scenario with ``n`` candidates (the first two finalists)."""
    head = f'name = "many"\nroll = {10 * n}\nelection_day = 4\nfinalists = ["c0", "c1"]\n'
    return head + "".join(f'[[candidates]]\nname = "c{i}"\nvotes = 1\n' for i in range(n))


# =========================================================================== the loader
@pytest.mark.parametrize("text", [
    pytest.param("x = " + "[" * 500 + "]" * 500, id="arrays-500-deep"),
    pytest.param("x = " + "{a = " * 500 + "1" + "}" * 500, id="inline-tables-500-deep"),
    pytest.param("[" + ".".join(["a"] * 2000) + "]\nb = 1", id="dotted-table-2000-deep"),
    pytest.param('name = "n"\n' + ".".join(["k"] * 3000) + " = 1", id="dotted-key-3000-deep"),
])
def test_deep_nesting_is_refused_without_recursion_error(text):
    with pytest.raises(ScenarioError, match="nested deeper than 16"):
        load_scenario_bytes(text.encode(), "deep.toml")


def test_a_base_chain_beyond_the_limit_is_refused(tmp_path):
    write(tmp_path / "f0.toml", TINY)
    for i in range(1, 40):
        write(tmp_path / f"f{i}.toml", f'base = "f{i - 1}.toml"\nname = "f{i}"\n')
    assert load_scenario(tmp_path / "f8.toml").name == "f8"  # 8 bases: the default limit
    with pytest.raises(ScenarioError, match="chain of base files is deeper than 8") as err:
        load_scenario(tmp_path / "f39.toml")
    assert err.value.field == "base"


@pytest.mark.parametrize("kind", ["fifo", "directory", "dev-zero"])
@pytest.mark.parametrize("where", ["scenario", "base", "parameters_from"])
def test_special_files_are_refused_without_blocking(tmp_path, kind, where):
    if kind == "fifo":
        target = tmp_path / "pipe.toml"
        os.mkfifo(target)
    elif kind == "directory":
        target = tmp_path / "dir.toml"
        target.mkdir()
    else:
        target = Path("/dev/zero")
        if not target.exists():
            pytest.skip("no /dev/zero here")
    expected = {"fifo": "not a regular file (a FIFO)", "directory": "is a directory",
                "dev-zero": "not a regular file (a device)"}[kind]
    if where == "scenario":
        path = target
    elif where == "base":
        path = write(tmp_path / "child.toml", f'base = "{target}"\nname = "child"\n')
    else:
        path = write(tmp_path / "child.toml", f'parameters_from = "{target}"\n' + TINY)
    with pytest.raises(ScenarioError, match=re.escape(expected)):
        load_scenario(path)


def test_the_file_size_limit_is_enforced_on_base_files_too(tmp_path):
    write(tmp_path / "big.toml", TINY + "# " + "x" * 3_000_000 + "\n")
    child = write(tmp_path / "child.toml", 'base = "big.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError, match="at most 2,000,000"):
        load_scenario(child)
    with pytest.raises(ScenarioError, match="at most 2,000,000"):
        load_scenario(tmp_path / "big.toml")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.encode())
    assert load_scenario(path).name == "tiny"


@pytest.mark.parametrize("field,value", [
    ("roll", "9223372036854775808"), ("roll", "18446744073709551616"), ("roll", "1" + "0" * 400),
    ("votes", "9223372036854775807"), ("votes", "-9223372036854775809"), ("votes", "9" * 5000),
    ("lean", "1" + "0" * 400), ("lean", "nan"), ("lean", "inf"), ("share", "1" + "0" * 400),
])
def test_huge_and_non_finite_numbers_are_clean_errors(field, value):
    text = TINY.replace("votes = 12", "votes = 12\nlean = 0.5")
    if field == "roll":
        text = text.replace("roll = 40", f"roll = {value}")
    elif field == "votes":
        text = text.replace("votes = 12", f"votes = {value}")
    elif field == "lean":
        text = text.replace("lean = 0.5", f"lean = {value}")
    else:
        text += f'[[sectors]]\nname = "s"\nshare = {value}\n'
    with pytest.raises(ScenarioError) as err:
        load_scenario_bytes(text.encode(), "huge.toml")
    assert len(str(err.value)) < 400


@pytest.mark.parametrize("limit_field,make", [
    ("max_candidates", lambda n: candidates_toml(n)),
    ("max_sectors", lambda n: TINY + "".join(f'[[sectors]]\nname = "s{i}"\nshare = {1 / n}\n' for i in range(n))),
    ("max_contractors", lambda n: TINY.replace("votes = 8", f"votes = {n}").replace("roll = 40", f"roll = {n + 40}")
     + "".join(f'[[contractors]]\nname = "k{i}"\npatron = "C"\nbloc = 1\n' for i in range(n))),
    ("max_institutions", lambda n: TINY + "".join(f'[[institutions]]\nname = "i{i}"\n' for i in range(n))),
    ("max_events", lambda n: TINY + "".join('[[events]]\nkind = "offer"\nday = 1\nby = "A"\nto = "C"\n'
                                            for _ in range(n))),
])
def test_every_count_limit_is_enforced(limit_field, make):
    most = getattr(DEFAULT_LIMITS, limit_field)
    load_scenario_bytes(make(most).encode(), "at-limit.toml")  # at the limit: accepted
    with pytest.raises(ScenarioError, match=f"at most {most:,} are allowed"):
        load_scenario_bytes(make(most + 1).encode(), "over-limit.toml")
    upload = getattr(UPLOAD_LIMITS, limit_field)
    with pytest.raises(ScenarioError, match=f"at most {upload:,} are allowed"):
        load_scenario_bytes(make(upload + 1).encode(), "upload.toml", limits=UPLOAD_LIMITS)


def test_roll_limit_and_name_length_limit():
    with pytest.raises(ScenarioError, match="too large; allowed: \\[1, 100,000,000\\]"):
        load_scenario_bytes(TINY.replace("roll = 40", "roll = 100000001").encode(), "r.toml")
    long = "x" * (DEFAULT_LIMITS.max_name_length + 1)
    with pytest.raises(ScenarioError, match="a candidate name is at most 80"):
        load_scenario_bytes(TINY.replace('name = "C"', f'name = "{long}"').encode(), "n.toml")


def test_100000_candidates_are_refused_by_the_limit():
    text = candidates_toml(100_000)
    with pytest.raises(ScenarioError, match="100,000 candidates; at most 64"):
        load_scenario_bytes(text.encode(), "many.toml", limits=DEFAULT_LIMITS.replace(max_file_bytes=10**8))


@pytest.mark.parametrize("name,message", [
    ("tie", "reserved"), ("Tie", "reserved"), ("abstained", "reserved"), ("blank", "reserved"), ("none", "reserved"),
    ("total", "reserved"), ("", "must not be empty"), ("   ", "must not be empty"), ("\\u0000", "control"),
    ("A\\nB", "control"), ("\\u001b[31mred", "control"), ("evil\\u202e", "control"),
    (" C", "starts or ends with a space"),
])
def test_names_are_validated(name, message):
    text = TINY.replace('name = "C"', f'name = "{name}"')
    with pytest.raises(ScenarioError, match=message) as err:
        load_scenario_bytes(text.encode(), "names.toml")
    msg = str(err.value)
    assert msg.isprintable() and "\n" not in msg and "\x1b" not in msg


@pytest.mark.parametrize("snippet,message", [
    ('[[contractors]]\nname = "A"\npatron = "C"\nbloc = 1\n', "contractor names must be unique"),
    ('[[contractors]]\nname = "k"\npatron = "C"\nbloc = 1\n[[contractors]]\nname = "k"\npatron = "C"\nbloc = 1\n',
     "contractor names must be unique"),
    ('[[contractors]]\nname = "k"\npatron = "C"\nbloc = 1\n[[institutions]]\nname = "k"\n', "cannot share"),
    ('[[institutions]]\nname = "C"\n', "cannot share"),
    ('[[sectors]]\nname = "s"\nshare = 0.5\n[[sectors]]\nname = "s"\nshare = 0.5\n', "duplicate sector"),
    ('[[contractors]]\nname = "Tie"\npatron = "C"\nbloc = 1\n', "reserved"),
])
def test_names_are_unique_across_kinds(snippet, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario_bytes((TINY + snippet).encode(), "dupes.toml")


def test_reserved_names_cover_every_sentinel():
    from runoff_abm.model.events import SIT_OUT

    assert {"tie", "abstained", "blank", SIT_OUT} <= set(RESERVED_NAMES)


@pytest.mark.parametrize("text", [
    TINY.replace('name = "tiny"', 'name = "tiny"\n"evil\\nrunoff: error: forged" = 1'),
    TINY.replace('finalists = ["A", "B"]', 'finalists = ["A", "Z\\nforged line"]'),
    TINY + '[[events]]\nkind = "offer"\nday = 1\nby = "A"\nto = "\\u001b[2Jwiped"\n',
    TINY + '[parameters]\n"x\\ny" = 1\n',
])
def test_echoed_values_cannot_forge_lines(text):
    with pytest.raises(ScenarioError) as err:
        load_scenario_bytes(text.encode(), "forge.toml")
    msg = str(err.value)
    assert "\n" not in msg and "\x1b" not in msg, msg
    assert msg.isprintable()


def test_free_text_may_not_hold_terminal_escapes():
    with pytest.raises(ScenarioError, match="control characters"):
        load_scenario_bytes(TINY.replace('name = "tiny"', 'name = "tiny"\ntitle = "\\u001b[2J"').encode(), "t.toml")
    with pytest.raises(ScenarioError, match="control characters"):
        load_scenario_bytes((TINY + '[[events]]\nkind = "offer"\nday = 1\nby = "A"\nto = "C"\nnote = "a\\u001bb"\n')
                            .encode(), "n.toml")
    ok = TINY.replace('name = "tiny"', 'name = "tiny"\ndescription = """two\nlines\twith a tab"""')
    assert "two" in load_scenario_bytes(ok.encode(), "d.toml").description


def test_clean_text_survives_anything():
    assert clean_text(10**5000).startswith("<a whole number of")
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert clean_text(deep) == "<array of 1>"
    assert clean_text("a\nb\x1b") == "'a\\nb\\x1b'"
    assert len(clean_text("x" * 10**6)) <= 80


def test_uploads_only_build_on_builtins_and_name_no_rules():
    for text in ('base = "/etc/passwd"\nname = "x"\n', 'base = "../x.toml"\nname = "x"\n', 'base = 3\nname = "x"\n'):
        with pytest.raises(ScenarioError, match="only build on a built-in"):
            load_scenario_bytes(text.encode(), "up.toml", limits=UPLOAD_LIMITS)
    with pytest.raises(ScenarioError, match="parameters_from"):
        load_scenario_bytes(('parameters_from = "x.toml"\n' + TINY).encode(), "up.toml", limits=UPLOAD_LIMITS)
    with pytest.raises(ScenarioError, match="uploaded scenario cannot name them"):
        load_scenario_bytes(b'base = "labor-2011"\nname = "hook"\n[rules]\nchoice = "my_rules.py:f"\n', "up.toml",
                            limits=UPLOAD_LIMITS)
    scn = load_scenario_bytes(b'base = "labor-2011-calibrated"\nname = "ok"\n', "up.toml", limits=UPLOAD_LIMITS)
    assert scn.parameters  # a built-in's own parameters_from is followed


@pytest.mark.parametrize("target", ["sys:addaudithook", "threading:settrace", "os:system", "builtins:exec",
                                    "x.py:os.system", "my_rules.py"])
def test_module_function_rules_are_never_accepted(target):
    with pytest.raises(ScenarioError, match="expected 'file.py:function'"):
        load_scenario_bytes(f'base = "labor-2011"\nname = "hook"\n[rules]\nchoice = "{target}"\n'.encode(), "h.toml")
    with pytest.raises(RuleError, match="expected 'file.py:function'"):
        RunoffModel(scenario="labor-2011", seed=1, members=100, rules={"choice": target})


# =========================================================================== rules: who may run code
RULE_FILE = '''
import os
def a_wins(member):
    return 1.0
def loud(member):
    raise ValueError("secret " + os.path.abspath(__file__) + "\\n" + "x" * 5000)
def weird(member):
    return "\\x1b[2J" * 100
'''


@pytest.fixture
def trusted(tmp_path):
    write(tmp_path / "rules.py", RULE_FILE)
    return write(tmp_path / "mine.toml", 'base = "labor-2011"\nname = "mine"\n[rules]\nchoice = "rules.py:a_wins"\n')


def test_scenario_rules_need_trust_in_python(trusted):
    with pytest.raises(RuleError, match="--trust-rules"):
        RunoffModel(scenario=str(trusted), seed=1, members=300)
    r = run(str(trusted), seed=1, members=300, trust_rules=True)
    assert r.rules["choice"]["sha256"] == hashlib.sha256((trusted.parent / "rules.py").read_bytes()).hexdigest()
    assert r.rules["choice"]["origin"] == "scenario"
    # a caller's rule of the same name replaces the file's: nothing of the file runs, no trust needed
    r2 = run(str(trusted), seed=1, members=300, rules={"choice": lambda m: m.leaning})
    assert r2.rules["choice"]["origin"] == "caller" and r2.rules["choice"]["file"] == "test_safety.py"


def test_rule_errors_echo_no_paths_and_short_clean_values(tmp_path, trusted):
    for func, needle in (("loud", "raised ValueError"), ("weird", "returned")):
        with pytest.raises(RuleError, match=needle) as err:
            run("labor-2011", seed=1, members=200, rules={"choice": f"{tmp_path / 'rules.py'}:{func}"})
        msg = str(err.value)
        assert str(tmp_path) not in msg, msg
        assert "rules.py:" in msg and len(msg) < 600 and msg.isprintable()


def test_cli_scenario_rules_need_trust_rules(trusted, tmp_path):
    line = one_clean_line(cli("run", str(trusted), "--members", "300", cwd=tmp_path), "--trust-rules")
    assert "rules.py:a_wins" in line
    proc = cli("run", str(trusted), "--members", "300", "--trust-rules", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = no_nan(proc.stdout.decode())
    assert out["votes"]["Peretz"] < out["votes"]["Yachimovich"]
    assert out["rules"]["choice"]["file"] == "rules.py" and len(out["rules"]["choice"]["sha256"]) == 64


def test_exercise_5_rule_path_is_relative_to_the_working_directory():
    proc = cli("run", "labor-2011", "--members", "2000", "--rule", "choice=my_rules.py:clan_vote", "--json",
               cwd=EXERCISE_5)
    assert proc.returncode == 0, proc.stderr.decode()
    out = no_nan(proc.stdout.decode())
    assert out["rules"]["choice"]["rule"] == "my_rules.py:clan_vote"
    arab = next(s for s in out["by_sector"] if s["sector"] == "arab")
    assert arab["share_Yachimovich"] == 0.0


@pytest.mark.parametrize("rule,expected", [
    ("choice=os:system", "expected 'file.py:function'"),
    ("choice=sys:addaudithook", "expected 'file.py:function'"),
    ("choice=missing.py:f", "not found"),
    ("vote=x.py:f", "unknown rule"),
])
def test_cli_bad_rules_fail_cleanly(tmp_path, rule, expected):
    one_clean_line(cli("run", "--members", "300", "--rule", rule, cwd=tmp_path), expected)


def test_sweep_run_function_needs_trust_code(tmp_path):
    spec = write(tmp_path / "spec.toml", 'name = "s"\nscenario = "labor-2011"\nmembers = 300\nseed = 1\n'
                 'run_function = "os:system"\n[parameters]\ninfluence_rate = [0.1]\n')
    one_clean_line(cli("sweep", str(spec), "--out", str(tmp_path / "o"), "--serial", cwd=tmp_path),
                   "run_function", "--trust-code")
    assert not (tmp_path / "o").exists()


# =========================================================================== results
def test_no_votes_is_null_in_json_and_a_tie_is_unambiguous():
    r = run("labor-2011", seed=3, members=2)
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert r.outcome == "no votes" and r.winner is None
    assert d["winner"] is None and d["shares"] == {"Yachimovich": None, "Peretz": None} and d["margin"] is None
    assert no_nan(text)["outcome"] == "no votes"
    tie = dataclasses.replace(r, votes={"Yachimovich": 1, "Peretz": 1}, turnout_votes=2)
    assert tie.outcome == "tie" and tie.winner == "tie" and tie.to_dict()["shares"]["Peretz"] == 0.5
    win = dataclasses.replace(r, votes={"Yachimovich": 0, "Peretz": 1}, turnout_votes=1)
    assert win.outcome == "win" and win.winner == "Peretz"


def test_cli_json_with_nobody_voting(tmp_path):
    proc = cli("run", "labor-2011", "--members", "2", "--seed", "3", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    out = no_nan(proc.stdout.decode())
    assert out["winner"] is None and out["margin"] is None


# =========================================================================== CLI: one line, exit 2
def _nested(tmp: Path) -> list[str]:
    return ["run", str(write(tmp / "deep.toml", "x = " + "[" * 500 + "]" * 500))]


def _chain(tmp: Path) -> list[str]:
    write(tmp / "c0.toml", TINY)
    for i in range(1, 1200):
        write(tmp / f"c{i}.toml", f'base = "c{i - 1}.toml"\nname = "c{i}"\n')
    return ["run", str(tmp / "c1199.toml")]


def _fifo(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "pipe.toml")
    return ["run", str(tmp / "pipe.toml")]


def _fifo_base(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "pipe.toml")
    return ["describe", str(write(tmp / "child.toml", 'base = "pipe.toml"\nname = "c"\n'))]


def _zero_base(tmp: Path) -> list[str]:
    return ["run", str(write(tmp / "child.toml", 'base = "/dev/zero"\nname = "c"\n'))]


CLI_CASES = [
    pytest.param(_nested, ("nested deeper than 16",), id="toml-nested-500"),
    pytest.param(_chain, ("chain of base files is deeper than 8",), id="base-chain-1200"),
    pytest.param(lambda t: ["run", str(write(t / "r.toml", TINY.replace("roll = 40", "roll = 9223372036854775808")))],
                 ("roll", "too large"), id="roll-2-63"),
    pytest.param(lambda t: ["run", "--members", "99999999999999999999"], ("--members", "out of range"),
                 id="members-huge"),
    pytest.param(lambda t: ["run", str(write(t / "c.toml", candidates_toml(32_802)))], ("at most",),
                 id="candidates-32802"),
    pytest.param(lambda t: ["run", str(write(t / "c.toml", candidates_toml(100_000)))], ("at most",),
                 id="candidates-100000"),
    pytest.param(_fifo, ("not a regular file (a FIFO)",), id="fifo-scenario"),
    pytest.param(_fifo_base, ("base", "not a regular file (a FIFO)"), id="fifo-base"),
    pytest.param(_zero_base, ("base", "not a regular file (a device)"), id="dev-zero-base"),
    pytest.param(lambda t: ["run", str(t)], ("is a directory",), id="directory-scenario"),
    pytest.param(lambda t: ["run", str(write(t / "t.toml", TINY.replace('name = "C"', 'name = "tie"')))],
                 ("candidates[2].name", "reserved"), id="candidate-named-tie"),
    pytest.param(lambda t: ["run", str(write(t / "t.toml", TINY.replace('name = "C"', 'name = "C\\nD"')))],
                 ("'C\\nD'", "control"), id="name-with-newline"),
    pytest.param(lambda t: ["predict", "labor-2011", "--seed", "-1"], ("--seed", "out of range"),
                 id="predict-negative-seed"),
    pytest.param(lambda t: ["predict", "labor-2011", "--replicates", "10000000000"], ("--replicates",),
                 id="predict-replicates-huge"),
    pytest.param(lambda t: ["calibrate", "labor-2011", "--out", str(t / "o"), "--accept", "nan"], ("--accept",),
                 id="calibrate-accept-nan"),
    pytest.param(lambda t: ["calibrate", "labor-2011", "--out", str(t / "o"), "--draws", "1e9"], ("--draws",),
                 id="calibrate-draws-text"),
    pytest.param(lambda t: ["sweep", str(REPO / "scenarios/sweeps/compliance-x-herzog.toml"), "--out",
                            str(t / "o"), "--workers", "100000"], ("--workers",), id="sweep-workers-huge"),
    pytest.param(lambda t: ["run", "--engine", "gpu"], ("--engine",), id="argparse-choice"),
    pytest.param(lambda t: ["run", "--frobnicate"], ("unrecognized arguments",), id="argparse-unknown-option"),
    pytest.param(lambda t: ["predict", "labor-2011", "--posterior", str(write(t / "p.parquet", "not parquet"))],
                 ("--posterior", "not a Parquet file"), id="posterior-not-parquet"),
]


@pytest.mark.parametrize(("make", "expected"), CLI_CASES)
def test_cli_bad_input_gives_one_line_and_exit_2(tmp_path, make, expected):
    args = make(tmp_path)
    one_clean_line(cli(*args, cwd=tmp_path, timeout=120), *expected)


def test_cli_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + LABOR.encode())
    proc = cli("run", str(path), "--members", "500", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode()
    assert no_nan(proc.stdout.decode())["scenario"] == "labor-2011"


# =========================================================================== Mesa registration
def _freed(make) -> bool:
    model = make()
    ref = weakref.ref(model)
    del model
    gc.collect()
    return ref() is None


def test_a_model_is_freed_after_del():
    def make():
        m = RunoffModel(scenario="labor-2011", seed=1, members=400)
        m.members  # noqa: B018 - materialise the member agents too
        m.step()
        return m

    assert _freed(make)


def test_a_model_is_freed_after_with_and_after_run():
    def with_block():
        with RunoffModel(scenario="labor-2011", seed=1, members=400) as m:
            m.run()
        return m

    assert _freed(with_block)
    assert _freed(lambda: RunoffModel(scenario="labor-2011", seed=2, members=400))


def test_input_errors_are_one_line_whatever_their_source():
    err = InputError("a\nb.toml", "x\x1b[2J", "bad\nvalue")
    assert "\n" not in str(err) and "\x1b" not in str(err)
