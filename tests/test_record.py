"""Unit tier for how results describe themselves: the scenario record round trip, rule records,
text tables that fit a width, and the notebook views (HTML with an inline SVG figure)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runoff_abm import run
from runoff_abm.model.present import fit_table, svg_histogram, svg_intervals, svg_lines, wrap
from runoff_abm.model.provenance import rule_records, rule_records_from_specs, rule_spec, sha256_file
from runoff_abm.model.runoff import RunoffModel
from runoff_abm.model.scenario import builtin_names, load_scenario, parse_scenario

ROOT = Path(__file__).resolve().parent.parent


def example_scenario(tmp_path: Path):
    """The invented example of docs/scenarios.md (institutions, offers, an observed result)."""
    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if 'name = "example"' in b)
    path = tmp_path / "example.toml"
    path.write_text(block)
    return load_scenario(str(path))


# --------------------------------------------------------------------------- Scenario.to_dict
@pytest.mark.parametrize("name", builtin_names())
def test_scenario_to_dict_round_trips_through_json_and_parse_scenario(name):
    scn = load_scenario(name)
    data = json.loads(json.dumps(scn.to_dict(), allow_nan=False))
    back = parse_scenario(data, source="<record>")
    assert replace(back, path=scn.path) == scn
    assert back.to_dict() == data


def test_scenario_to_dict_round_trips_sectors_contractors_institutions_events(tmp_path):
    scn = example_scenario(tmp_path)
    assert scn.institutions and scn.contractors and {e.kind for e in scn.events} >= {"offer", "endorse"}
    back = parse_scenario(json.loads(json.dumps(scn.to_dict())), source="<record>")
    assert replace(back, path=scn.path) == scn


def test_scenario_to_dict_resolves_base_and_parameters_from():
    scn = load_scenario("labor-2011-calibrated")
    data = scn.to_dict()
    assert "base" not in data and "parameters_from" not in data
    assert data["parameters"] == scn.parameters and data["parameters"]  # the calibrated values, merged in
    assert data["round1"]["abstained"] == scn.abstained


def test_scenario_to_dict_makes_rule_paths_absolute(tmp_path):
    (tmp_path / "rules.py").write_text("def keep(member):\n    return member.leaning\n")
    path = tmp_path / "with-rule.toml"
    path.write_text('base = "labor-2011"\nname = "with-rule"\n[rules]\nchoice = "rules.py:keep"\n')
    scn = load_scenario(str(path))
    assert scn.rules == {"choice": "rules.py:keep"}
    assert scn.to_dict()["rules"] == {"choice": f"{tmp_path / 'rules.py'}:keep"}


def test_a_run_from_the_recorded_scenario_is_identical():
    scn = load_scenario("labor-2011")
    again = parse_scenario(json.loads(json.dumps(scn.to_dict())), source="<record>")
    a, b = run(scn, seed=4, members=1500), run(again, seed=4, members=1500)
    assert a.votes == b.votes and a.flows.equals(b.flows) and a.events == b.events


# --------------------------------------------------------------------------- rule records
def test_rule_records_name_the_executed_file_and_its_sha256(tmp_path):
    src = tmp_path / "my_rules.py"
    src.write_text("def clan_vote(member):\n    return 0.0 if member.sector == 'arab' else member.leaning\n")
    specs = {"choice": f"{src}:clan_vote"}
    model = RunoffModel(scenario="labor-2011", seed=1, members=600, rules=specs)
    try:
        records = rule_records(specs, model.rules)
    finally:
        model.release()
    assert records == [{"name": "choice", "function": "clan_vote", "module": None, "path": str(src.resolve()),
                        "sha256": sha256_file(src)}]
    assert rule_spec(records[0]) == f"{src.resolve()}:clan_vote"
    assert rule_records_from_specs({"choice": "my_rules.py:clan_vote"}, tmp_path) == records


def test_rule_records_of_a_module_rule_keep_the_module():
    specs = {"choice": "sweep_helpers:flaky_run"}  # any importable function: the record, not the run
    records = rule_records_from_specs(specs, None)
    assert records[0]["module"] == "sweep_helpers" and records[0]["path"].endswith("sweep_helpers.py")
    assert rule_spec(records[0]) == "sweep_helpers:flaky_run"


# --------------------------------------------------------------------------- text that fits
def test_fit_table_splits_value_columns_into_panels_that_repeat_the_keys():
    header = ["name"] + [f"col{i}" for i in range(12)]
    rows = [["row-a"] + [f"{i * 1000.5:.4f}" for i in range(12)], ["row-b"] + ["x"] * 12]
    lines = fit_table(header, rows, width=60)
    assert max(len(line) for line in lines) <= 60
    panels = "\n".join(lines).split("\n\n")
    assert len(panels) > 1 and all(p.split("\n")[1].strip().startswith("row-a") for p in panels)
    cells = " ".join(lines).split()
    assert all(h in cells for h in header[1:])  # every column shown once
    wide = fit_table(header, rows, width=None)
    assert len(wide) == 3 and max(len(line) for line in wide) > 60


def test_wrap_keeps_commands_whole():
    lines = wrap("use `runoff run --replicates N` for the spread over seeds " * 3, 40)
    assert all(len(line) <= 40 or line.count("`") for line in lines)
    assert all(line.count("`") % 2 == 0 for line in lines)


# --------------------------------------------------------------------------- notebook views
def _numbers(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_run_result_html_has_the_key_numbers_and_a_figure():
    r = run("labor-2011", seed=2, members=2000, contractor_compliance=0.6)
    h = r._repr_html_()
    text = _numbers(h)
    a, b = r.finalists
    for f in (a, b):
        assert f"{r.votes[f]:,}" in text and f"{r.shares[f]:.1%}" in text
        assert f"{r.observed['votes'][f]:,}" in text
    assert f"{r.turnout:.1%}" in text and r.winner in text and "seed 2" in text
    assert "contractor_compliance=0.6" in text
    assert "<svg" in h and "<polyline" in h and "matplotlib" not in h


def test_replicates_and_prediction_and_sweep_html_carry_their_numbers(tmp_path):
    from runoff_abm.studies import parse_spec, run_sweep
    from runoff_abm.studies.analysis import analyze
    from runoff_abm.studies.predict import predict
    from runoff_abm.studies.replicates import run_replicates

    scn = load_scenario("labor-2011")
    rep = run_replicates(scn, 6, seed=3, members=800, executor="serial", progress=False)
    t = rep.table()
    h = rep._repr_html_()
    a = scn.finalists[0]
    assert f"{t['win_probability'][a]:.2f}" in _numbers(h) and f"{t['share_' + a]['median']:.1%}" in _numbers(h)
    assert "<svg" in h and h.count("<rect") > 5

    pred = predict(scn, replicates=6, members=800, seed=3, executor="serial", progress=False)
    pt = pred.table()
    h = pred._repr_html_()
    assert f"{pt['win_probability'][a]:.3f}" in _numbers(h) and "<svg" in h

    spec = parse_spec({"name": "tiny", "scenario": "labor-2011", "members": 500, "replicates": 3, "seed": 1,
                       "parameters": {"influence_rate": [0.2, 0.4]}}, source=str(tmp_path / "tiny.toml"))
    run_sweep(spec, str(tmp_path / "out"), executor="serial", progress=False)
    res = analyze(tmp_path / "out")
    h = res._repr_html_()
    for p in res.table["p_a_wins"]:
        assert f"{p:.4g}" in _numbers(h)
    assert "<svg" in h and h.count("<circle") == 2


def test_svg_figures_escape_labels_and_stay_finite():
    for svg in (svg_lines([0, 1, 2], {"<a&b>": [0.4, np.nan, 0.6]}, title="t<", hlines={"50%": 0.5}),
                svg_intervals([("x<y", 0.5, 0.3, 0.7), ("missing", float("nan"), 0.1, 0.2)], title="i", ref=0.5),
                svg_histogram([0.5] * 10, title="h", marks={"&": 0.5}, band=(0.4, 0.6))):
        assert "<a&b>" not in svg and "x<y" not in svg and "nan" not in svg and "inf" not in svg
        assert svg.startswith("<svg") and svg.endswith("</svg>")


def test_sweep_summary_frame_is_unchanged_by_the_view(tmp_path):
    from runoff_abm.studies import parse_spec, run_sweep, summarise
    from runoff_abm.studies.analysis import analyze

    spec = parse_spec({"name": "tiny", "scenario": "labor-2011", "members": 400, "replicates": 2, "seed": 1,
                       "parameters": {"influence_rate": [0.2, 0.4]}}, source=str(tmp_path / "tiny.toml"))
    run_sweep(spec, str(tmp_path / "out"), executor="serial", progress=False)
    pd.testing.assert_frame_equal(analyze(tmp_path / "out").table, summarise(tmp_path / "out"))
