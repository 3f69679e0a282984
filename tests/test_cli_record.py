"""Interface tier for issue 16: a researcher's command line. Every command runs as a subprocess
in a temporary working directory (never the repository root).

- a run says what it is (one draw, seed, margin, the scale of ``--members``), how it was made
  (overrides, plug-in rules with their sha256, engine) in text and JSON, and ``runoff rerun``
  reproduces it byte for byte from the JSON record;
- ``--replicates N`` gives the spread on all cores;
- ``--scheduler`` pointed at something that is not a Dask scheduler fails in seconds, saying what
  is there;
- one-line errors everywhere (argparse included), a busy port for ``viz``, a wrong
  ``--posterior``, the ``--accept`` floor stated;
- output fits 100 columns; progress appears on a terminal only.
"""

from __future__ import annotations

import http.server
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 100
RULE = """def clan_vote(member):
    if member.sector in ("arab", "druze"):
        return 0.0
    return member.leaning
"""


def cli(*args: str, cwd: Path, timeout: float = 180, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """``python -m runoff_abm ARGS`` in ``cwd`` (bytes captured), the source tree on PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), str(ROOT / "tests"),
                                                                    os.environ.get("PYTHONPATH")]))}
    env.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "runoff_abm", *args], cwd=cwd, env=env, capture_output=True,
                          timeout=timeout, check=False, input=stdin)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr
    return proc.stdout.decode()


def one_line_error(proc: subprocess.CompletedProcess, *expected: str) -> str:
    """Assert exit 2, nothing on stdout, one ``runoff: error:`` line containing ``expected``."""
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "Traceback" not in err and proc.stdout == b"", err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("runoff"), err
    assert ": error: " in lines[0], err
    for text in expected:
        assert text in lines[0], (text, err)
    return lines[0]


def assert_fits(text: str, width: int = WIDTH) -> None:
    wide = [line for line in text.splitlines() if len(line) > width]
    assert not wide, f"{len(wide)} lines wider than {width}: {wide[:3]}"


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A working directory away from the repository, with a rule file in a sibling folder."""
    base = tmp_path_factory.mktemp("issue16")
    (base / "rules").mkdir()
    (base / "rules" / "my_rules.py").write_text(RULE)
    (base / "work").mkdir()
    return base / "work"


@pytest.fixture(scope="module")
def rule_path(work) -> Path:
    return (work.parent / "rules" / "my_rules.py").resolve()


RUN = ["run", "labor-2011", "--members", "3000", "--seed", "5", "--set", "contractor_compliance=0.6"]


@pytest.fixture(scope="module")
def recorded(work, rule_path):
    """(text, json bytes) of one run with --set and --rule."""
    args = [*RUN, "--rule", f"choice={rule_path}:clan_vote"]
    text = cli(*args, cwd=work)
    js = cli(*args, "--json", cwd=work)
    ok(text), ok(js)
    (work / "result.json").write_bytes(js.stdout)
    return text.stdout, js.stdout


# --------------------------------------------------------------------------- what a run is
def test_text_names_overrides_rules_engine_and_one_draw(recorded, rule_path):
    text = recorded[0].decode()
    digest = __import__("hashlib").sha256(rule_path.read_bytes()).hexdigest()
    head = text.splitlines()[:5]
    assert head[1] == "one simulated draw (seed 5) of 3,000 members, scaled from the roll of 66,310"
    assert head[2].startswith("engine array | runoff-abm ")
    assert head[3] == "overrides: contractor_compliance=0.6"
    assert head[4] == f"rules: choice: clan_vote in my_rules.py (sha256 {digest[:12]})"
    assert "`runoff predict`" in text and "--replicates N" in text
    assert "Simulated counts are of 3,000 members, observed counts of the roll of 66,310" in text


def test_json_records_overrides_rules_and_everything_to_rerun(recorded, rule_path):
    data = json.loads(recorded[1])
    digest = __import__("hashlib").sha256(rule_path.read_bytes()).hexdigest()
    rule = {"name": "choice", "function": "clan_vote", "module": None, "path": str(rule_path), "sha256": digest}
    assert data["overrides"] == {"contractor_compliance": 0.6}
    assert data["parameters"]["contractor_compliance"] == 0.6
    # the result's own record (RunResult.rules: no absolute path, so a result shown elsewhere does not
    # reveal the machine's folders) and the rerun record (the exact file to load again)
    assert data["rules"]["choice"]["function"] == "clan_vote"
    assert data["rules"]["choice"]["file"] == rule_path.name and data["rules"]["choice"]["sha256"] == digest
    rec = data["reproduce"]
    assert {k: rec[k] for k in ("format", "seed", "members", "engine", "overrides", "rules", "replicates")} == {
        "format": 1, "seed": 5, "members": 3000, "engine": "array", "overrides": {"contractor_compliance": 0.6},
        "rules": [rule], "replicates": None}
    from runoff_abm.model.scenario import load_scenario

    assert rec["scenario"] == load_scenario("labor-2011").to_dict()


def test_a_default_run_says_it_has_no_overrides_or_rules(work):
    out = ok(cli("run", "--members", "2000", cwd=work))
    assert "overrides: none (the scenario's parameters)" in out
    assert "rules: none (the model's own decision rules)" in out
    data = json.loads(ok(cli("run", "--members", "2000", "--json", cwd=work)))
    assert data["overrides"] == {} and data["rules"] == {} and data["reproduce"]["rules"] == []


def test_margin_line_is_the_winners_lead(recorded):
    data = json.loads(recorded[1])
    a, b = data["finalists"]
    lead = abs(data["votes"][a] - data["votes"][b])
    margin = next(line for line in recorded[0].decode().splitlines() if line.startswith("  margin"))
    assert margin.split()[1] == f"{lead:,}"
    assert margin.split()[2] == f"{100 * lead / (data['votes'][a] + data['votes'][b]):.1f}"
    assert margin.split()[-3:] == ["3,530", "8.6", "pts"]  # observed 22,299 - 18,769


def test_full_roll_has_no_scale_note(work):
    out = ok(cli("run", "labor-2011-no-events", cwd=work))
    assert "of 66,310 members (the full roll)" in out and "Simulated counts are of" not in out


# --------------------------------------------------------------------------- rerun from the record
def test_rerun_from_the_json_is_byte_identical(recorded, work):
    elsewhere = work.parent / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    again_json = cli("rerun", str(work / "result.json"), "--json", "--trust-rules", cwd=elsewhere)
    assert ok(again_json).encode() == recorded[1]
    again_text = cli("rerun", "result.json", "--trust-rules", cwd=work)
    assert ok(again_text).encode() == recorded[0]
    piped = cli("rerun", "-", "--json", "--trust-rules", cwd=elsewhere, stdin=recorded[1])
    assert ok(piped).encode() == recorded[1]


def test_rerun_runs_rule_code_only_with_trust_rules(recorded, work, rule_path):
    line = one_line_error(cli("rerun", "result.json", cwd=work), "reproduce.rules", "--trust-rules",
                          str(rule_path), "clan_vote")
    assert "Python code" in line


def test_rerun_refuses_a_changed_rule_file(recorded, work, tmp_path):
    data = json.loads(recorded[1])
    changed = tmp_path / "my_rules.py"
    changed.write_text(RULE.replace("0.0", "0.1"))
    data["reproduce"]["rules"][0]["path"] = str(changed)
    (tmp_path / "r.json").write_text(json.dumps(data))
    one_line_error(cli("rerun", "r.json", "--trust-rules", cwd=tmp_path), "reproduce.rules[0]", "changed since the run")
    changed.unlink()
    one_line_error(cli("rerun", "r.json", "--trust-rules", cwd=tmp_path), "reproduce.rules[0]", "missing")


def test_rerun_survives_edits_to_the_scenario_file(tmp_path):
    scn = tmp_path / "mine.toml"
    scn.write_text('base = "labor-2011"\nname = "mine"\n[parameters]\ninfluence_rate = 0.2\n')
    first = cli("run", "mine.toml", "--members", "1500", "--seed", "9", "--json", cwd=tmp_path)
    (tmp_path / "r.json").write_bytes(first.stdout)
    scn.write_text('base = "labor-2011"\nname = "mine"\n[parameters]\ninfluence_rate = 0.9\n')
    assert ok(cli("rerun", "r.json", "--json", cwd=tmp_path)).encode() == first.stdout
    assert ok(cli("run", "mine.toml", "--members", "1500", "--seed", "9", "--json", cwd=tmp_path)).encode() \
        != first.stdout


@pytest.mark.parametrize(("content", "expected"), [
    pytest.param(b"not json", ("r.json", "not JSON"), id="not-json"),
    pytest.param(b'{"seed": 1}', ("r.json: reproduce", "missing"), id="no-record"),
    pytest.param(b'{"reproduce": {"format": 99}}', ("reproduce.format", "allowed: 1"), id="future-format"),
    pytest.param(None, ("r.json", "cannot read the file"), id="missing-file"),
])
def test_rerun_bad_files_fail_in_one_line(tmp_path, content, expected):
    if content is not None:
        (tmp_path / "r.json").write_bytes(content)
    one_line_error(cli("rerun", "r.json", cwd=tmp_path), *expected)


def test_rerun_tampered_record_names_the_field(recorded, tmp_path):
    data = json.loads(recorded[1])
    data["reproduce"]["seed"] = -3
    (tmp_path / "r.json").write_text(json.dumps(data))
    one_line_error(cli("rerun", "r.json", cwd=tmp_path), "reproduce.seed", "out of range")
    data = json.loads(recorded[1])
    data["reproduce"]["scenario"]["roll"] = 10
    (tmp_path / "r.json").write_text(json.dumps(data))
    one_line_error(cli("rerun", "r.json", cwd=tmp_path), "reproduce.scenario", "roll")


# --------------------------------------------------------------------------- replicates
@pytest.fixture(scope="module")
def replicated(work):
    args = ["run", "labor-2011", "--members", "1000", "--seed", "2", "--replicates", "6"]
    text, js = cli(*args, "--workers", "2", cwd=work), cli(*args, "--json", cwd=work)
    return ok(text), json.loads(ok(js)), js.stdout


def test_replicates_summary_matches_its_runs(replicated):
    text, data, _ = replicated
    t = data["replicates"]
    assert t["runs"] == 6 and t["seed"] == 2 and data["reproduce"]["replicates"] == 6
    import numpy as np

    from runoff_abm import run
    from runoff_abm.model.rng import replicate_seeds
    from runoff_abm.studies.analysis import _wilson

    shares, wins = [], 0.0
    for s in replicate_seeds(2, 6):
        r = run("labor-2011", seed=s, members=1000)
        shares.append(r.shares["Yachimovich"])
        wins += 1.0 if r.winner == "Yachimovich" else 0.5 if r.winner == "tie" else 0.0
    assert t["share_Yachimovich"]["median"] == pytest.approx(float(np.median(shares)))
    assert t["win_probability"]["Yachimovich"] == pytest.approx(wins / 6)
    assert t["win_probability_95ci"]["Yachimovich"] == pytest.approx(list(_wilson(wins, 6)))
    lines = text.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("Spread over 6 replicates"))
    section = "\n".join(lines[i:i + 10])
    assert f"{t['share_Yachimovich']['median']:.1%}" in section
    lo, hi = t["win_probability_95ci"]["Yachimovich"]
    assert f"{t['win_probability']['Yachimovich']:.2f}" in section and f"95% CI {lo:.2f} - {hi:.2f}" in section
    assert "`runoff predict" in section
    assert lines.index("Flow matrix: round-1 choice (rows) -> runoff choice (columns), members") > i


def test_replicates_do_not_depend_on_the_workers_and_rerun_identically(replicated, work):
    _, data, raw = replicated
    serial = cli("run", "labor-2011", "--members", "1000", "--seed", "2", "--replicates", "6", "--json", "--serial",
                 cwd=work)
    assert ok(serial).encode() == raw
    (work / "reps.json").write_bytes(raw)
    assert ok(cli("rerun", "reps.json", "--json", "--workers", "1", cwd=work)).encode() == raw


# --------------------------------------------------------------------------- the scheduler check
class _Server:
    """A TCP server on 127.0.0.1 in a thread: an HTTP server, Dask-dashboard-like, or silent."""

    def __init__(self, kind: str):
        self.kind = kind
        if kind in ("http", "dashboard"):
            class Handler(http.server.BaseHTTPRequestHandler):
                def do_GET(self):  # noqa: N802
                    if kind == "dashboard":
                        self.send_response(302)
                        self.send_header("Location", "status")
                    else:
                        self.send_response(200)
                    self.end_headers()

                def log_message(self, *a):
                    pass

            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            self.port = self.server.server_address[1]
            self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        else:
            self.sock = socket.socket()
            self.sock.bind(("127.0.0.1", 0))
            self.sock.listen()
            self.port = self.sock.getsockname()[1]
            self.conns: list[socket.socket] = []
            self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)  # accepted, never answered

    def close(self):
        if self.kind in ("http", "dashboard"):
            self.server.shutdown()
            self.server.server_close()
        else:
            self.sock.close()
            for c in self.conns:
                c.close()


@pytest.mark.parametrize(("kind", "expected", "limit"), [
    pytest.param("http", "is an HTTP (web) server", 10, id="plain-http-server"),
    pytest.param("dashboard", "looks like Dask's dashboard", 10, id="dashboard-port"),
    pytest.param("silent", "sent no Dask handshake within 5 s", 20, id="accepts-and-says-nothing"),
])
def test_scheduler_that_is_not_dask_fails_quickly_saying_what_is_there(tmp_path, kind, expected, limit):
    srv = _Server(kind)
    try:
        proc = cli("predict", "labor-2011", "--replicates", "4", "--scheduler", f"tcp://127.0.0.1:{srv.port}",
                   cwd=tmp_path, timeout=limit)  # a hang is a TimeoutExpired failure
    finally:
        srv.close()
    one_line_error(proc, f"127.0.0.1:{srv.port}", "cannot reach a Dask scheduler", expected)
    assert list(tmp_path.iterdir()) == []


def test_scheduler_check_reports_within_five_seconds_in_process():
    from runoff_abm.model.errors import SweepError
    from runoff_abm.studies.dask_check import check_scheduler

    srv = _Server("silent")
    try:
        t0 = time.monotonic()
        with pytest.raises(SweepError, match="sent no Dask handshake"):
            check_scheduler(f"tcp://127.0.0.1:{srv.port}", timeout=5.0)
        assert time.monotonic() - t0 < 7.0  # its own deadline is 5 s; 2 s of slack for a loaded machine
    finally:
        srv.close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(SweepError, match="nothing is listening"):
        check_scheduler(f"127.0.0.1:{free}")
    with pytest.raises(SweepError, match="not a number"):
        check_scheduler("tcp://127.0.0.1:eighty")


# --------------------------------------------------------------------------- one-line errors
@pytest.mark.parametrize(("args", "expected"), [
    pytest.param(["run", "--members", "ten"], ("--members: 'ten' is not a whole number",), id="run-members"),
    pytest.param(["predict", "labor-2011", "--members", "ten"], ("--members: 'ten'",), id="predict-members"),
    pytest.param(["calibrate", "labor-2011", "--out", "o", "--members", "ten"], ("--members: 'ten'",),
                 id="calibrate-members"),
    pytest.param(["run", "--replicates", "many"], ("run: argument --replicates: invalid int value: 'many'",),
                 id="run-replicates"),
    pytest.param(["run", "--replicates", "1"], ("--replicates 1: expected at least 2",), id="run-one-replicate"),
    pytest.param(["run", "--replicates", "3", "--workers", "0"], ("--workers: 0 is out of range",), id="run-workers"),
    pytest.param(["predict", "labor-2011", "--replicates", "x"], ("--replicates: 'x' is not a whole number",),
                 id="predict-replicates"),
    pytest.param(["calibrate", "labor-2011", "--out", "o", "--draws", "x"], ("--draws: 'x' is not a whole number",),
                 id="calibrate-draws"),
    pytest.param(["sweep", "s.toml", "--out", "o", "--chunk", "x"], ("--chunk: 'x' is not a whole number",), id="sweep-chunk"),
    pytest.param(["viz", "--port", "http"], ("viz: argument --port: invalid int value",), id="viz-port"),
    pytest.param(["run", "--no-such-option"], ("unrecognized arguments: --no-such-option",), id="unknown-option"),
    pytest.param(["frobnicate"], ("invalid choice: 'frobnicate'",), id="unknown-command"),
    pytest.param([], ("the following arguments are required: COMMAND",), id="no-command"),
    pytest.param(["run", "--engine", "gpu"], ("argument --engine: invalid choice: 'gpu'",), id="bad-engine"),
    pytest.param(["predict", "labor-2011", "--posterior", str(ROOT / "scenarios/calibration/labor-2011/calibrated.toml")],
                 ("calibrated.toml", "TOML file", "posterior.parquet"), id="posterior-calibrated-toml"),
    pytest.param(["predict", "labor-2011", "--posterior", str(ROOT / "README.md")],
                 ("README.md", "not a Parquet file"), id="posterior-not-parquet"),
    pytest.param(["predict", "labor-2011", "--posterior", "."], ("no posterior.parquet in this folder",),
                 id="posterior-empty-folder"),
])
def test_bad_options_get_one_line_and_exit_2(tmp_path, args, expected):
    one_line_error(cli(*args, cwd=tmp_path), *expected)
    assert list(tmp_path.iterdir()) == []


def test_viz_on_a_busy_port_says_so_before_serving(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = cli("viz", "--port", str(port), cwd=tmp_path, timeout=60)
    assert b"serving on" not in proc.stdout
    one_line_error(proc, f"port {port} on 127.0.0.1 is already in use", "--port")


def test_calibrate_states_the_accept_floor(tmp_path):
    proc = cli("calibrate", "labor-2011", "--method", "reject", "--out", "cal", "--draws", "40", "--accept", "0.05", "--members", "400",
               "--predictive", "4", "--serial", cwd=tmp_path, timeout=600)
    out = ok(proc)
    assert "--accept 0.05 of 40 draws would keep 2; the floor is 10 accepted draws" in out
    assert "10 accepted" in out
    assert_fits(out)
    report = (tmp_path / "cal" / "report.txt").read_text()
    assert "the floor is 10 accepted draws" in report


def test_describe_prose_and_table_agree():
    out = ok(cli("describe", "labor-2011", cwd=ROOT / "tests"))
    blocks = out.split("\n\n")
    prose = blocks[1]
    table = next(b for b in blocks if b.startswith("Round 1"))
    quoted = re.findall(r"(\d+\.\d)%", prose)
    assert len(quoted) == 4
    for pct in quoted:
        assert f"{pct}%" in table, pct


# --------------------------------------------------------------------------- width
@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """A finished tiny factorial sweep and a tiny Morris sweep (their output directories)."""
    base = tmp_path_factory.mktemp("study")
    (base / "f.toml").write_text(
        'name = "w"\nscenario = "labor-2011"\nmembers = 500\nreplicates = 2\nseed = 3\n'
        'outcomes = ["share_a", "turnout", "margin", "turnout_votes"]\n'
        '[parameters]\ncontractor_compliance = [0.6, 0.9]\ninfluence_rate = [0.1, 0.3]\n')
    (base / "m.toml").write_text(
        'name = "m"\nscenario = "labor-2011"\nmembers = 500\nreplicates = 1\nseed = 3\n'
        '[design]\nkind = "morris"\nsamples = 2\n'
        '[parameters]\ncontractor_compliance = { low = 0.5, high = 1.0 }\ninfluence_rate = { low = 0.1, high = 0.5 }\n')
    ok(cli("sweep", "f.toml", "--out", "f", "--serial", cwd=base))
    ok(cli("sweep", "m.toml", "--out", "m", "--serial", cwd=base))
    return base


def _commands(study: Path):
    from runoff_abm.model.scenario import builtin_names

    yield ["run", "--members", "2000"]
    yield ["run", "labor-2011-herzog-endorses-peretz", "--members", "2000", "--set", "influence_rate=0.1",
           "--set", "contractor_compliance=0.7", "--set", "endorsement_trust=0.3"]
    yield ["scenarios"]
    yield ["params"]
    for name in builtin_names():
        yield ["describe", name]
    yield ["analyze", str(study / "f"), "--no-plots"]
    yield ["sensitivity", str(study / "m"), "--no-plots"]
    yield ["sweep", str(study / "f.toml"), "--out", str(study / "f"), "--serial"]
    yield ["predict", "labor-2011", "--replicates", "4", "--members", "500", "--serial",
           "--posterior", str(ROOT / "scenarios" / "calibration" / "labor-2011")]
    yield ["--help"]


def test_every_command_fits_100_columns(study, replicated, recorded):
    assert_fits(recorded[0].decode())
    assert_fits(replicated[0])
    for args in _commands(study):
        out = ok(cli(*args, cwd=study))
        assert out.strip(), args
        assert_fits(out), args


HELP_ALL = """
import argparse
from runoff_abm.cli import build_parser
parser = build_parser()
sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
for name, p in sub.choices.items():
    print(p.format_help())
"""


def test_every_commands_help_fits_100_columns(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("COLUMNS", None)
    proc = subprocess.run([sys.executable, "-c", HELP_ALL], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for cmd in ("run", "rerun", "scenarios", "describe", "sweep", "analyze", "sensitivity", "calibrate", "predict",
                "validate", "viz", "params"):
        assert f"usage: runoff {cmd}" in proc.stdout, cmd
    assert_fits(proc.stdout)


def test_wide_prints_one_table(study):
    narrow = ok(cli("analyze", str(study / "f"), "--no-plots", cwd=study))
    wide = ok(cli("analyze", str(study / "f"), "--no-plots", "--wide", cwd=study))
    assert max(map(len, wide.splitlines())) > WIDTH >= max(map(len, narrow.splitlines()))
    def headers(text):
        return [line for line in text.splitlines() if line.startswith("contractor_compliance")]

    assert len(headers(wide)) == 1 and len(headers(narrow)) >= 2
    assert wide.count("P(Yachimovich wins)") == narrow.count("P(Yachimovich wins)") == 1


def test_validate_table_fits_100_columns_with_the_real_patterns():
    """The suite takes minutes; its printed form is checked on the real rows of docs/validation.md."""
    from runoff_abm.studies.validate import Check, format_checks

    rows = [line.split(" | ") for line in (ROOT / "docs" / "validation.md").read_text().splitlines()
            if line.startswith("| ") and not line.startswith("| pattern") and "---" not in line]
    checks = [Check(pattern=r[0].lstrip("| "), target=r[1], measured=r[2], passed=True) for r in rows]
    assert len(checks) >= 7
    text = format_checks(checks)
    assert_fits(text)
    for c in checks:
        assert " ".join(c.measured.split()) in " ".join(text.split())
    assert len(format_checks(checks, None).splitlines()) == len(checks)


# --------------------------------------------------------------------------- progress
def in_pty(args: list[str], cwd: Path, timeout: float = 300) -> tuple[int, str, str]:
    """Run ``runoff ARGS`` with stderr on a pseudo-terminal; (status, stdout, what the terminal showed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    master, slave = pty.openpty()
    out_path = cwd / ".stdout"
    with open(out_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "runoff_abm", *args], cwd=cwd, env=env, stdout=out,
                                stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    code = proc.wait(timeout=30)
    text = out_path.read_text()
    out_path.unlink()
    return code, text, shown.decode(errors="replace")


@pytest.fixture(scope="module")
def small_spec(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("progress")
    (d / "s.toml").write_text('name = "tiny"\nscenario = "labor-2011"\nmembers = 400\nreplicates = 3\nseed = 1\n'
                              '[parameters]\ninfluence_rate = [0.2, 0.4]\n')
    return d


def test_progress_shows_runs_rate_and_eta_on_a_terminal(small_spec):
    code, out, shown = in_pty(["sweep", "s.toml", "--out", "a", "--serial"], small_spec)
    assert code == 0 and "6 runs: 0 already done" in out
    assert "sweep tiny: 100%" in shown and "6/6 runs" in shown and "runs/s" in shown and "<" in shown
    code, out, shown = in_pty(["predict", "labor-2011", "--replicates", "3", "--members", "400", "--serial"],
                              small_spec)
    assert code == 0 and "predict labor-2011: 100%" in shown and "3/3 runs" in shown
    code, out, shown = in_pty(["run", "--members", "400", "--replicates", "3", "--serial"], small_spec)
    assert code == 0 and "replicates labor-2011: 100%" in shown and "Spread over 3 replicates" in out


def test_no_progress_with_quiet_or_off_a_terminal(small_spec):
    code, out, shown = in_pty(["sweep", "s.toml", "--out", "b", "--serial", "--quiet"], small_spec)
    assert code == 0 and shown == "" and "6 runs" in out
    piped = cli("sweep", "s.toml", "--out", "c", "--serial", cwd=small_spec)
    assert ok(piped) and piped.stderr == b""


# --------------------------------------------------------------------------- sweep manifests
def test_sweep_manifest_records_engine_overrides_rules_and_scenario(tmp_path):
    from runoff_abm.model.provenance import sha256_file
    from runoff_abm.model.scenario import load_scenario, parse_scenario
    from runoff_abm.studies import parse_spec, run_sweep

    (tmp_path / "keep.py").write_text("def keep(member):\n    return member.leaning\n")
    (tmp_path / "scn.toml").write_text('base = "labor-2011"\nname = "ruled"\n[rules]\nchoice = "keep.py:keep"\n')
    spec = parse_spec({"name": "rec", "scenario": "scn.toml", "members": 300, "replicates": 1, "seed": 1,
                       "fixed": {"contractor_compliance": 0.7}, "parameters": {"influence_rate": [0.2]}},
                      source=str(tmp_path / "rec.toml"), trust_rules=True)
    run_sweep(spec, str(tmp_path / "out"), executor="serial", progress=False)
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["engine"] == "array" and m["overrides"] == {"contractor_compliance": 0.7}
    assert m["rules"] == [{"name": "choice", "function": "keep", "module": None,
                           "path": str((tmp_path / "keep.py").resolve()), "sha256": sha256_file(tmp_path / "keep.py")}]
    scn = load_scenario(str(tmp_path / "scn.toml"))
    assert parse_scenario(m["scenario_data"], "<manifest>").to_dict() == scn.to_dict()
    assert len(m["scenario_sha256"]) == 64
