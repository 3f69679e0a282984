"""Property-based fuzzing (hypothesis) of everything a file can feed the package: scenarios and
sweep specs, mutated from valid ones (the built-ins, the tests' tiny scenarios and specs).

Mutations delete, duplicate, retype and rename fields; put in huge, negative, non-finite and
boundary numbers, strange Unicode and reserved names, deep nesting, long lists, ``base`` chains,
FIFOs, directories and devices; and damage the bytes (a byte-order mark, truncation). Each
document goes to the loader in process and, on a smaller budget, to the command line as a
subprocess. The properties:

- **no traceback**: the loader raises nothing but :class:`ScenarioError` (``SpecError``); the
  command line exits 0, or 2 with one ``runoff: error:`` line and nothing on stdout;
- **no hang**: every case is bounded by a timer (in process) or a timeout (subprocess);
- **accepted files are sound**: run at a small member count, votes are conserved (the flow matrix
  sums to the members, its rows to the round-1 counts, its columns to the runoff votes), shares
  are in [0, 1] or null, turnout is at most 1, and the JSON has no NaN; a spec's design points run.

Budget: a fixed, derandomised budget in the default run (well under a minute); set
``RUNOFF_FUZZ_EXAMPLES=5000`` (in-process examples per property; the subprocess properties get
1/25 of it) for a longer search, and ``RUNOFF_FUZZ_RANDOM=1`` to draw new examples each run.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from runoff_abm.model.api import run
from runoff_abm.model.errors import RunoffError, ScenarioError
from runoff_abm.model.limits import UPLOAD_LIMITS
from runoff_abm.model.scenario import BUILTIN_DIR, _data_depth, builtin_names, load_scenario, load_scenario_bytes
from runoff_abm.studies.outcomes import run_chunk
from runoff_abm.studies.spec import _design_size, load_spec
from runoff_abm.studies.sweep import plan_tasks

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("RUNOFF_FUZZ_EXAMPLES", "0")) or None
RANDOM = bool(os.environ.get("RUNOFF_FUZZ_RANDOM"))


def budget(default: int, share: float = 1.0) -> settings:
    """Hypothesis settings: ``default`` examples, or ``RUNOFF_FUZZ_EXAMPLES * share``."""
    n = max(1, int(EXAMPLES * share)) if EXAMPLES else default
    return settings(max_examples=n, deadline=None, derandomize=not RANDOM, database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])


# --------------------------------------------------------------------------- seed documents
TINY = {
    "name": "tiny", "roll": 8, "election_day": 4, "finalists": ["A", "B"],
    "candidates": [{"name": "A", "votes": 3, "activists": 1}, {"name": "B", "votes": 2, "activists": 1},
                   {"name": "C", "votes": 2, "activists": 1}],
    "contractors": [{"name": "broker", "patron": "C", "bloc": 2}],
}
MINI = {
    "name": "mini", "title": "every section", "roll": 1000, "election_day": 6, "finalists": ["Ann", "Bob"],
    "round1": {"blank": 10, "abstained": 390},
    "candidates": [{"name": "Ann", "votes": 250, "activists": 10}, {"name": "Bob", "votes": 200, "activists": 10},
                   {"name": "Cy", "votes": 120, "activists": 5}, {"name": "Dee", "votes": 30, "activists": 2}],
    "sectors": [{"name": "north", "share": 0.4, "votes": {"Ann": 1, "Bob": 2}}, {"name": "south", "share": 0.6}],
    "contractors": [{"name": "cy-north", "patron": "Cy", "sector": "north", "bloc": 50}],
    "institutions": [{"name": "Union", "sectors": ["south"]}],
    "parameters": {"influence_rate": 0.2},
    "observed": {"votes": {"Ann": 300, "Bob": 250}, "turnout": 0.55,
                 "patterns": [{"stat": "sector.north.turnout", "op": "<", "value": 0.9}]},
    "events": [
        {"kind": "activists_defect", "day": 2, "until": 4, "from": "Cy", "to": "Ann", "share": 0.5},
        {"kind": "offer", "day": 1, "by": "Bob", "to": "cy-north", "value": 0.8},
        {"kind": "endorse", "day": 3, "by": "Cy", "for": "Bob", "strength": 0.5},
        {"kind": "neutral", "day": 4, "by": "Dee"},
        {"kind": "contractor_realign", "day": 5, "patron": "Cy", "to": "none"},
        {"kind": "endorse", "day": 2, "by": "Union", "for": "Ann"},
    ],
}
SCENARIOS = [TINY, MINI] + [tomllib.loads((BUILTIN_DIR / f"{n}.toml").read_text()) for n in builtin_names()]

SMALL_SPEC = {
    "name": "small", "scenario": "labor-2011", "members": 300, "replicates": 2, "seed": 99,
    "design": {"kind": "factorial"},
    "parameters": {"contractor_compliance": [0.6, 0.9], "influence_rate": [0.2, 0.4]},
    "factors": {"herzog": {"remove": ["Herzog"], "levels": {
        "neutral": [{"kind": "neutral", "day": 5, "by": "Herzog"}],
        "peretz": [{"kind": "endorse", "day": 5, "by": "Herzog", "for": "Peretz"}]}}},
}
LHS_SPEC = {"name": "lhs", "scenario": "tiny.toml", "members": 50, "seed": 1, "design": {"kind": "lhs", "samples": 3},
            "parameters": {"influence_rate": {"low": 0.1, "high": 0.5}}, "fixed": {"mean_degree": 4}}
SPECS = [SMALL_SPEC, LHS_SPEC] + [tomllib.loads(p.read_text()) for p in sorted((BUILTIN_DIR / "sweeps").glob("*.toml"))]

# --------------------------------------------------------------------------- weird values
NAMES = ["", " ", "tie", "Tie", "TIE", "abstained", "blank", "none", "total", "A", "B", "C", "Ann", "Herzog",
         "Peretz", "Union", "broker", "a\nb", "\x1b[2Jwiped", "evil\u202e", "\u200b", "\x00", "\t", "x" * 81,
         "x" * 5000, "שלום", "🗳️", "../../etc/passwd", "/dev/zero", "x.py:f", "os:system", "labor-2011",
         "sector.north.turnout", "runoff: error: forged"]
NUMBERS = [0, 1, 2, -1, 3, 7, 8, 9, 365, 366, 2**15 - 1, 2**15, 2**31, 2**53, 2**53 + 1, 2**63 - 1, 2**63, 2**64,
           -(2**63), 10**20, 10**300, 0.5, 0.0, -0.0, 1.0, 1.5, 1e-320, 1e308, float("nan"), float("inf"),
           -float("inf"), 0.999999, 1e-9, 100_000_001]
SCALARS = st.one_of(st.sampled_from(NAMES), st.sampled_from(NUMBERS), st.booleans(),
                    st.text(max_size=12), st.integers(), st.floats(allow_nan=True, allow_infinity=True))
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.sampled_from(NAMES[:12] + ["kind", "day"]),
                                                                          SCALARS, max_size=3))
PLACES = ["fifo.toml", "dir.toml", "/dev/zero", "chain12.toml", "chain3.toml", "doc.toml", "big.toml", "nope.toml",
          "../doc.toml", "labor-2011", "labor-2011-calibrated", "tiny.toml", "/etc/hostname", str(BUILTIN_DIR),
          str(BUILTIN_DIR / "calibration" / "prior.toml"), str(BUILTIN_DIR / "calibration/labor-2011/calibrated.toml")]
RULES = ["os:system", "sys:addaudithook", "threading:settrace", "rules.py:f", "rules.py:loud", "nope.py:f",
         "fifo.toml:f", "rules.py", ":", "rules.py:os.system"]


def slots(doc) -> list[tuple[object, object]]:
    """Every (container, key) in ``doc`` (iteratively: documents may be deep)."""
    out, stack = [], [doc]
    while stack:
        node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in list(items):
            out.append((node, k))
            if isinstance(v, (dict, list)) and len(out) < 20_000:
                stack.append(v)
    return out


def strings(doc) -> list[str]:
    return [c[k] for c, k in slots(doc) if isinstance(c[k], str)]


def mutate(doc: dict, data) -> dict:
    """One to four random mutations of a deep copy of ``doc``."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        places = slots(doc)
        op = data.draw(st.sampled_from(["delete", "retype", "retype", "duplicate", "multiply", "rename", "nest",
                                        "swap-name", "base", "parameters_from", "rules", "scenario-ref"]), label="op")
        if op == "base":
            doc["base"] = data.draw(st.sampled_from(PLACES + [3, ""]), label="base")
            continue
        if op == "parameters_from":
            doc["parameters_from"] = data.draw(st.sampled_from(PLACES), label="parameters_from")
            continue
        if op == "rules":
            doc["rules"] = {data.draw(st.sampled_from(["choice", "turnout", "vote"])): data.draw(st.sampled_from(RULES))}
            continue
        if op == "scenario-ref":
            doc["scenario"] = data.draw(st.sampled_from(PLACES), label="scenario")
            continue
        if not places:
            continue
        parent, key = places[data.draw(st.integers(0, len(places) - 1), label="where")]
        value = parent[key]
        if op == "delete":
            del parent[key]
        elif op == "retype":
            parent[key] = data.draw(VALUES, label="value")
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(value))
        elif op == "multiply" and isinstance(value, list) and value:
            k = data.draw(st.sampled_from([2, 65, 300, 1100, 5000]), label="times")
            parent[key] = [copy.deepcopy(value[i % len(value)]) for i in range(min(k * len(value), 6000))]
        elif op == "rename" and isinstance(parent, dict):
            parent[data.draw(st.sampled_from(NAMES), label="new key")] = parent.pop(key)
        elif op == "nest" and _data_depth(doc, 200) <= 200:  # (deeper still: the "deep-text" damage)
            for _ in range(data.draw(st.sampled_from([1, 15, 17, 40, 200]), label="depth")):
                value = [value]
            parent[key] = value
        elif op == "swap-name" and isinstance(value, str):
            pool = strings(doc) or ["x"]
            parent[key] = data.draw(st.sampled_from(pool), label="other name")
    return doc


# --------------------------------------------------------------------------- TOML writing
def _s(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _v(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, str):
        return _s(v)
    if isinstance(v, list):
        return "[" + ", ".join(_v(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_s(str(k))} = {_v(x)}" for k, x in v.items()) + "}"
    return _s(str(v))


def to_toml(doc: dict) -> bytes:
    return "".join(f"{_s(str(k))} = {_v(v)}\n" for k, v in doc.items()).encode("utf-8", "surrogatepass")


def damage(data_bytes: bytes, data) -> bytes:
    how = data.draw(st.sampled_from(["none"] * 6 + ["bom", "truncate", "garbage", "deep-text"]), label="bytes")
    if how == "bom":
        return b"\xef\xbb\xbf" + data_bytes
    if how == "truncate":
        return data_bytes[: data.draw(st.integers(0, max(0, len(data_bytes) - 1)), label="cut")]
    if how == "garbage":
        at = data.draw(st.integers(0, len(data_bytes)), label="at")
        return data_bytes[:at] + data.draw(st.binary(max_size=8), label="junk") + data_bytes[at:]
    if how == "deep-text":
        return data_bytes + b"z = " + b"[" * 800 + b"]" * 800 + b"\n"
    return data_bytes


# --------------------------------------------------------------------------- time limit
class Hang(Exception):
    """A case ran past its time limit."""


@contextmanager
def time_limit(seconds: float):
    def fire(signum, frame):
        raise Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --------------------------------------------------------------------------- fixtures and checks
@pytest.fixture(scope="module")
def place(tmp_path_factory) -> Path:
    """A folder with the files mutations may name: a FIFO, a directory, a chain of bases, a big
    file, a tiny scenario and a rules file."""
    d = tmp_path_factory.mktemp("fuzz")
    os.mkfifo(d / "fifo.toml")
    (d / "dir.toml").mkdir()
    (d / "tiny.toml").write_bytes(to_toml(TINY))
    (d / "chain0.toml").write_bytes(to_toml(TINY))
    for i in range(1, 13):
        (d / f"chain{i}.toml").write_text(f'base = "chain{i - 1}.toml"\nname = "chain{i}"\n')
    (d / "big.toml").write_bytes(to_toml(TINY) + b"#" + b"x" * 2_100_000 + b"\n")
    (d / "rules.py").write_text("def f(m):\n    return 0.5\ndef loud(m):\n    raise RuntimeError('x' * 999)\n")
    return d


def check_result(r, members: int) -> None:
    """Votes conserved; shares in [0, 1] or NaN (null in JSON); turnout <= 1; JSON without NaN."""
    a, b = r.finalists
    flows = r.flows
    assert int(flows.to_numpy().sum()) == members
    assert {k: int(v) for k, v in flows.sum(axis=1).items()} == r.round1
    assert sum(r.round1.values()) == members
    assert int(flows[a].sum()) == r.votes[a] and int(flows[b].sum()) == r.votes[b]
    assert r.votes[a] + r.votes[b] == r.turnout_votes == members - int(flows["abstained"].sum())
    assert 0.0 <= r.turnout <= 1.0
    for share in r.shares.values():
        assert math.isnan(share) or 0.0 <= share <= 1.0
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["outcome"] in ("win", "tie", "no votes")
    assert (d["winner"] is None) == (d["outcome"] == "no votes") and (d["margin"] is None) == (d["winner"] is None)
    for share in d["shares"].values():
        assert share is None or 0.0 <= share <= 1.0


def load_case(place: Path, raw: bytes, upload: bool):
    """The loader's answer for ``raw`` written as ``doc.toml``: a Scenario, or a ScenarioError."""
    path = place / "doc.toml"
    path.write_bytes(raw)
    try:
        with time_limit(20):
            if upload:
                return load_scenario_bytes(raw, "upload.toml", limits=UPLOAD_LIMITS)
            return load_scenario(path)
    except ScenarioError as err:
        assert "\n" not in str(err) and "\x1b" not in str(err), str(err)
        return err


# --------------------------------------------------------------------------- properties: in process
@budget(150)
@given(data=st.data())
def test_scenario_loader_never_crashes_and_accepted_files_run_soundly(place, data):
    doc = mutate(data.draw(st.sampled_from(SCENARIOS), label="seed"), data)
    raw = damage(to_toml(doc), data)
    upload = data.draw(st.booleans(), label="upload")
    scn = load_case(place, raw, upload)
    if isinstance(scn, ScenarioError):
        event(f"refused: {scn.field.split('[')[0].split('.')[0] or scn.message[:30]}")
        return
    event("accepted")
    members = data.draw(st.sampled_from([2, 3, 7, 40]), label="members")
    seed = data.draw(st.integers(0, 2**63 - 1), label="seed")
    try:
        with time_limit(120):
            result = run(scn, seed=seed, members=members)
    except RunoffError as err:  # e.g. a scenario's [rules] without trust: a clean refusal
        event(f"run refused: {type(err).__name__}")
        return
    check_result(result, members)
    event(f"ran: {result.outcome}")


@budget(60, 0.4)
@given(data=st.data())
def test_spec_loader_never_crashes_and_accepted_specs_run(place, data):
    doc = mutate(data.draw(st.sampled_from(SPECS), label="seed"), data)
    raw = damage(to_toml(doc), data)
    path = place / "spec.toml"
    path.write_bytes(raw)
    try:
        with time_limit(30):
            spec = load_spec(path)
    except ScenarioError as err:  # SpecError is one
        assert "\n" not in str(err), str(err)
        event(f"refused: {err.field.split('[')[0].split('.')[0] or err.message[:30]}")
        return
    event("accepted")
    n = _design_size(spec.design_kind, spec.values, spec.ranges, spec.samples, spec.second_order, list(spec.factors))
    if n * spec.replicates > 2000:
        return
    with time_limit(120):
        tasks = plan_tasks(spec)
        assert len(tasks) == n * spec.replicates
        rows = run_chunk(dataclasses.replace(spec, members=20), tasks[:2])
    for row in rows:
        assert row["status"] == "ok", row["error"]


# --------------------------------------------------------------------------- properties: the command line
def cli(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "runoff_abm", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout, check=False)


def clean_exit(proc: subprocess.CompletedProcess) -> bool:
    """Exit 0, or exit 2 with one ``runoff: error:`` line and no stdout; True when it was 0."""
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 2), (proc.returncode, err)
    if proc.returncode == 2:
        assert proc.stdout == b"", proc.stdout[:300]
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("runoff: error: "), err
        return False
    return True


def _no_nan(token):
    raise AssertionError(f"{token} in JSON")


@budget(4, 1 / 25)
@given(data=st.data())
def test_cli_on_mutated_scenarios(place, data):
    doc = mutate(data.draw(st.sampled_from(SCENARIOS), label="seed"), data)
    raw = damage(to_toml(doc), data)
    (place / "cli.toml").write_bytes(raw)
    proc = cli("run", "cli.toml", "--members", "20", "--seed", "1", "--json", cwd=place)
    if clean_exit(proc):
        out = json.loads(proc.stdout, parse_constant=_no_nan)
        assert sum(sum(row.values()) for row in out["flows"].values()) == 20
        assert out["turnout"] <= 1.0
    described = cli("describe", "cli.toml", cwd=place)
    if clean_exit(described):
        text = described.stdout.decode()
        assert all(ch.isprintable() or ch == "\n" for ch in text), "control characters in `runoff describe`"


@budget(3, 1 / 25)
@given(data=st.data())
def test_cli_on_mutated_sweep_specs(place, data, tmp_path_factory):
    doc = mutate(data.draw(st.sampled_from([SMALL_SPEC, LHS_SPEC]), label="seed"), data)
    doc["members"] = 20 if data.draw(st.booleans(), label="small") else doc.get("members")
    raw = damage(to_toml({k: v for k, v in doc.items() if v is not None}), data)
    (place / "cli-spec.toml").write_bytes(raw)
    try:
        spec = load_spec(place / "cli-spec.toml")
        runs = spec.replicates * _design_size(spec.design_kind, spec.values, spec.ranges, spec.samples,
                                              spec.second_order, list(spec.factors))
        if runs > 24 or (spec.members or spec.scenario.roll) > 500:
            return  # valid but too long for this budget
    except ScenarioError:
        pass
    out = tmp_path_factory.mktemp("sweep")
    proc = cli("sweep", "cli-spec.toml", "--out", str(out / "o"), "--serial", "--quiet", cwd=place)
    if clean_exit(proc):
        clean_exit(cli("analyze", str(out / "o"), "--no-plots", cwd=place))
