"""Unit tests of the scenario loader: ``runoff_abm.load_scenario`` / ``parse_scenario``.

Every bad scenario must raise :class:`ScenarioError` whose message names the file, the field
and what is allowed. Bad scenarios are built by editing the text of a small valid scenario
(``VALID_TOML``) and writing it to pytest's ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from runoff_abm.model.events import ActivistsDefect, Endorse, Neutral, Offer
from runoff_abm.model.scenario import BUILTIN_DIR, ScenarioError, builtin_names, load_scenario, parse_scenario

# A small valid scenario exercising every section. Mutations below replace one exact snippet.
# Event order in the file (events[i]): 0 activists_defect (day 2), 1 offer (day 1),
# 2 endorse (day 3), 3 neutral (day 4, by Dee).
VALID_TOML = """\
name = "mini"
title = "A small valid scenario"
roll = 1000
election_day = 6
finalists = ["Ann", "Bob"]

[round1]
blank = 10
abstained = 390

[[candidates]]
name = "Ann"
votes = 250
activists = 10

[[candidates]]
name = "Bob"
votes = 200
activists = 10

[[candidates]]
name = "Cy"
votes = 120
activists = 5

[[candidates]]
name = "Dee"
votes = 30
activists = 2

[[sectors]]
name = "north"
share = 0.4

[[sectors]]
name = "south"
share = 0.6

[[contractors]]
name = "cy-north"
patron = "Cy"
sector = "north"
bloc = 50

[[institutions]]
name = "Union"
sectors = ["south"]

[parameters]
influence_rate = 0.2

[observed]
votes = { Ann = 300, Bob = 250 }

[[events]]
kind = "activists_defect"
day = 2
until = 4
from = "Cy"
to = "Ann"
share = 0.2

[[events]]
kind = "offer"
day = 1
by = "Bob"
to = "cy-north"

[[events]]
kind = "endorse"
day = 3
by = "Cy"
for = "Bob"
strength = 0.5

[[events]]
kind = "neutral"
day = 4
by = "Dee"
# (end of file)
"""

END = "# (end of file)"

LABOR_2011_ROUND1 = {"Yachimovich": 14203, "Peretz": 13616, "Herzog": 10848, "Mitzna": 5244}


def mutate(text: str, old: str, new: str) -> str:
    """Replace the single occurrence of ``old`` in ``text`` by ``new``.

    Args:
        text: the scenario text.
        old: a snippet that must occur exactly once in ``text`` (so a mutation cannot silently
            hit the wrong place or nothing at all).
        new: its replacement.

    Returns:
        The mutated text.
    """
    assert text.count(old) == 1, f"snippet {old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def write_scenario(directory: Path, text: str, name: str = "scenario.toml") -> Path:
    """Write ``text`` as a scenario file ``name`` in ``directory`` and return its path."""
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ScenarioError:
    """Load ``path``, expecting a :class:`ScenarioError`, and return it.

    Args:
        path: the scenario file to load.

    Returns:
        The raised error (the test fails if none, or another exception, is raised).
    """
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def assert_names(err: ScenarioError, path: Path, field: str, allowed: str) -> None:
    """Assert that ``err`` names the file ``path``, the field ``field`` and says ``allowed``.

    Args:
        err: the error raised by the loader.
        path: the scenario file that was loaded.
        field: the exact field path expected (e.g. ``events[2].for``).
        allowed: a substring of the message that says what is allowed.
    """
    msg = str(err)
    assert str(path) in msg, msg
    assert err.field == field, msg
    assert field in msg, msg
    assert allowed in msg, msg


# --------------------------------------------------------------------------- the valid base
def test_valid_base_scenario_loads(tmp_path):
    scn = load_scenario(write_scenario(tmp_path, VALID_TOML))
    assert scn.name == "mini"
    assert scn.finalists == ("Ann", "Bob")
    assert scn.eliminated == ("Cy", "Dee")
    assert scn.round1_ballots == 610 and scn.abstained == 390
    assert scn.parameters == {"influence_rate": 0.2}
    assert [type(e) for e in scn.events] == [Offer, ActivistsDefect, Endorse, Neutral]


# --------------------------------------------------------------------------- bad scenarios
BAD_CASES = [
    # unknown fields
    pytest.param('title = "A small valid scenario"', 'title = "A small valid scenario"\ncolour = "red"',
                 "colour", "allowed here: name, title", id="unknown-top-level-field"),
    pytest.param("votes = 250", "votes = 250\nvotez = 3",
                 "candidates[0].votez", "allowed here: name, full_name, votes", id="unknown-candidate-field"),
    pytest.param("strength = 0.5", "strength = 0.5\nweight = 1",
                 "events[2].weight", "allowed here: kind, day, by, for, strength, note",
                 id="unknown-event-field"),
    pytest.param('kind = "neutral"', 'kind = "resign"',
                 "events[3].kind", "allowed: endorse, neutral, activists_defect", id="unknown-event-kind"),
    # unknown candidates in events
    pytest.param('for = "Bob"', 'for = "Zed"', "events[2].for", "allowed: Ann, Bob", id="event-unknown-for"),
    pytest.param('by = "Cy"', 'by = "Zed"', "events[2].by", "allowed: Cy, Dee, Union", id="event-unknown-by"),
    pytest.param('from = "Cy"', 'from = "Zed"', "events[0].from", "allowed: Ann, Bob, Cy, Dee",
                 id="event-unknown-from"),
    pytest.param('to = "Ann"', 'to = "Zed"', "events[0].to", "allowed: Ann, Bob", id="event-unknown-to"),
    pytest.param('to = "cy-north"', 'to = "Zed"', "events[1].to", "allowed: Cy, Dee, cy-north",
                 id="offer-unknown-to"),
    pytest.param('by = "Bob"', 'by = "Zed"', "events[1].by", "allowed: Ann, Bob", id="offer-unknown-by"),
    pytest.param('for = "Bob"', 'for = "Dee"', "events[2].for", "allowed: Ann, Bob",
                 id="endorse-for-eliminated-candidate"),
    # counts
    pytest.param("votes = 250", "votes = -5", "candidates[0].votes", "allowed: [0, inf]", id="negative-votes"),
    pytest.param("blank = 10", "blank = -1", "round1.blank", "allowed: [0, inf]", id="negative-blank"),
    pytest.param("activists = 10\n\n[[candidates]]\nname = \"Bob\"",
                 "activists = -10\n\n[[candidates]]\nname = \"Bob\"",
                 "candidates[0].activists", "allowed: [0, inf]", id="negative-activists"),
    pytest.param("votes = 250", "votes = 12.5", "candidates[0].votes", "whole number", id="non-integer-votes"),
    pytest.param("roll = 1000", "roll = 1000.5", "roll", "whole number", id="non-integer-roll"),
    pytest.param("votes = 250", 'votes = "250"', "candidates[0].votes", "whole number", id="string-votes"),
    pytest.param("roll = 1000", "roll = 600", "roll", "the roll must be at least the number of ballots",
                 id="ballots-exceed-roll"),
    pytest.param("abstained = 390", "abstained = 391", "round1.abstained",
                 "roll 1000 - ballots 610 = 390", id="abstained-does-not-add-up"),
    # event days
    pytest.param("day = 3", "day = 7", "events[2].day", "allowed: 1..5", id="event-after-election-day"),
    pytest.param("day = 3", "day = 6", "events[2].day", "allowed: 1..5", id="event-on-election-day"),
    pytest.param("day = 3", "day = 0", "events[2].day", "allowed: 1..5", id="event-on-day-0"),
    pytest.param("day = 3", "day = 2.5", "events[2].day", "whole number", id="event-non-integer-day"),
    pytest.param("until = 4", "until = 1", "events[0].until", "allowed: 2..5", id="until-before-day"),
    pytest.param("until = 4", "until = 6", "events[0].until", "allowed: 1..5", id="until-on-election-day"),
    # parameters
    pytest.param("influence_rate = 0.2", "influence_rate = 1.5", "parameters.influence_rate",
                 "allowed [0.0, 1.0]", id="parameter-out-of-range"),
    pytest.param("influence_rate = 0.2", 'influence_rate = "fast"', "parameters.influence_rate",
                 "[0.0, 1.0]", id="parameter-not-a-number"),
    pytest.param("influence_rate = 0.2", "influence_rat = 0.2", "parameters.influence_rat",
                 "allowed: mean_degree", id="unknown-parameter"),
    # sectors, contractors, institutions
    pytest.param("share = 0.6", "share = 0.5", "sectors", "must add up to 1", id="sector-shares-not-1"),
    pytest.param('patron = "Cy"', 'patron = "Zed"', "contractors[0].patron", "allowed: Ann, Bob, Cy, Dee",
                 id="contractor-unknown-patron"),
    pytest.param("bloc = 50", "bloc = 121", "contractors", "exceed Cy's round-1 votes (120)",
                 id="blocs-exceed-patron-votes"),
    pytest.param('sector = "north"', 'sector = "east"', "contractors[0].sector", "allowed: north, south",
                 id="contractor-unknown-sector"),
    pytest.param('sectors = ["south"]', 'sectors = ["east"]', "institutions[0].sectors",
                 "sectors: north, south", id="institution-unknown-sector"),
    # declarations
    pytest.param(END, '[[events]]\nkind = "neutral"\nday = 5\nby = "Cy"\n',
                 "events[4].by", "at most once", id="endorse-then-neutral"),
    pytest.param(END, '[[events]]\nkind = "endorse"\nday = 1\nby = "Dee"\nfor = "Ann"\n',
                 "events[4].by", "at most once", id="neutral-then-endorse-earlier-day"),
    # finalists
    pytest.param('finalists = ["Ann", "Bob"]', 'finalists = ["Ann", "Ann"]', "finalists",
                 "expected two different candidate names", id="finalists-duplicate"),
    pytest.param('finalists = ["Ann", "Bob"]', 'finalists = ["Ann"]', "finalists",
                 "expected two different candidate names", id="finalists-one"),
    pytest.param('finalists = ["Ann", "Bob"]', 'finalists = ["Ann", "Bob", "Cy"]', "finalists",
                 "expected two different candidate names", id="finalists-three"),
    pytest.param('finalists = ["Ann", "Bob"]', 'finalists = ["Ann", "Zed"]', "finalists",
                 "candidates: Ann, Bob, Cy, Dee", id="finalist-not-a-candidate"),
    pytest.param('finalists = ["Ann", "Bob"]', "finalists = [1, 2]", "finalists",
                 "expected two different candidate names", id="finalists-not-strings"),
    pytest.param('finalists = ["Ann", "Bob"]', 'finalists = ["Ann", ["Bob"]]', "finalists",
                 "expected two different candidate names", id="finalists-nested-array"),
    pytest.param('kind = "neutral"', 'kind = ["neutral"]', "events[3].kind",
                 "allowed: endorse, neutral", id="event-kind-array"),
    # missing required fields
    pytest.param("roll = 1000\n", "", "roll", "required field is missing", id="missing-roll"),
    pytest.param('name = "mini"\n', "", "name", "required field is missing", id="missing-name"),
    pytest.param("election_day = 6\n", "", "election_day", "required field is missing",
                 id="missing-election-day"),
    pytest.param("votes = 250\n", "", "candidates[0].votes", "required field is missing",
                 id="missing-candidate-votes"),
    pytest.param('for = "Bob"\n', "", "events[2].for", "required field is missing (endorses); allowed: Ann, Bob",
                 id="missing-endorse-for"),
    pytest.param("day = 3\n", "", "events[2].day", "required field is missing", id="missing-event-day"),
]


@pytest.mark.parametrize(("old", "new", "field", "allowed"), BAD_CASES)
def test_bad_scenario_names_file_field_and_allowed(tmp_path, old, new, field, allowed):
    path = write_scenario(tmp_path, mutate(VALID_TOML, old, new))
    err = load_error(path)
    assert_names(err, path, field, allowed)
    assert err.source == str(path)


@pytest.mark.parametrize(("old", "new", "field", "allowed"), [
    pytest.param("votes = 250", "votes = -5", "candidates[0].votes", "allowed: [0, inf]", id="negative-votes"),
    pytest.param("day = 3", "day = 9", "events[2].day", "allowed: 1..5", id="event-after-election-day"),
    pytest.param("influence_rate = 0.2", "influence_rate = 2", "parameters.influence_rate",
                 "allowed [0.0, 1.0]", id="parameter-out-of-range"),
])
def test_parse_scenario_names_given_source(tmp_path, old, new, field, allowed):
    """``parse_scenario`` on an already-parsed document reports the ``source`` it was given."""
    import tomllib

    data = tomllib.loads(mutate(VALID_TOML, old, new))
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, source="memory.toml")
    assert_names(info.value, Path("memory.toml"), field, allowed)


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write_scenario(tmp_path, mutate(VALID_TOML, "roll = 1000", "roll = = 1000"))
    err = load_error(path)
    msg = str(err)
    assert str(path) in msg
    assert "TOML syntax error" in msg
    assert "line 3" in msg, msg


def test_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes(VALID_TOML.replace("mini", "mini\xe9").encode("latin-1"))
    err = load_error(path)
    assert str(path) in str(err) and "UTF-8" in str(err)


def test_unknown_builtin_name_lists_builtins():
    with pytest.raises(ScenarioError) as info:
        load_scenario("labor-2012")
    msg = str(info.value)
    assert msg.startswith("labor-2012: ")
    assert "no such built-in scenario" in msg
    for name in builtin_names():
        assert name in msg
    assert "path to a .toml file" in msg


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "does-not-exist.toml"
    err = load_error(path)
    assert str(path) in str(err)
    assert "cannot read" in str(err)


# --------------------------------------------------------------------------- base inheritance
def test_base_inherits_everything_but_name_and_events(tmp_path):
    path = write_scenario(tmp_path, 'base = "labor-2011"\nname = "child"\nevents = []\n')
    child = load_scenario(path)
    base = load_scenario("labor-2011")
    assert child.name == "child"
    assert child.title == "child"  # title and description are not inherited
    assert child.events == ()
    assert child.candidates == base.candidates
    assert child.roll == base.roll and child.election_day == base.election_day
    assert child.finalists == base.finalists
    assert child.sectors == base.sectors and child.contractors == base.contractors
    assert child.observed == base.observed
    assert child.path == str(path)


def test_base_without_events_inherits_the_base_events(tmp_path):
    path = write_scenario(tmp_path, 'base = "labor-2011"\nname = "child"\n[parameters]\ninfluence_rate = 0.1\n')
    child = load_scenario(path)
    assert child.events == load_scenario("labor-2011").events
    assert child.parameters == {"influence_rate": 0.1}


def test_base_by_relative_path(tmp_path):
    write_scenario(tmp_path, VALID_TOML, "parent.toml")
    child = load_scenario(write_scenario(tmp_path, 'base = "parent.toml"\nname = "kid"\nroll = 2000\n'
                                                   "[round1]\nblank = 10\n", "kid.toml"))
    assert child.name == "kid" and child.roll == 2000 and child.abstained == 1390
    assert [c.name for c in child.candidates] == ["Ann", "Bob", "Cy", "Dee"]


def test_child_errors_are_checked_after_inheritance(tmp_path):
    path = write_scenario(tmp_path, 'base = "labor-2011"\nname = "child"\nroll = 100\n')
    err = load_error(path)
    assert_names(err, path, "roll", "the roll must be at least the number of ballots")


def test_base_cycle_is_refused(tmp_path):
    write_scenario(tmp_path, 'base = "b.toml"\nname = "a"\n', "a.toml")
    write_scenario(tmp_path, 'base = "a.toml"\nname = "b"\n', "b.toml")
    err = load_error(tmp_path / "a.toml")
    assert err.field == "base"
    assert "cycle" in str(err)
    assert "b.toml" in str(err)


def test_base_self_cycle_is_refused(tmp_path):
    path = write_scenario(tmp_path, 'base = "self.toml"\nname = "s"\n', "self.toml")
    err = load_error(path)
    assert_names(err, path, "base", "cycle")


def test_unknown_base_lists_builtins(tmp_path):
    path = write_scenario(tmp_path, 'base = "labor-2012"\nname = "child"\n')
    err = load_error(path)
    assert_names(err, path, "base", "labor-2011")


# --------------------------------------------------------------------------- built-ins
def test_builtin_names_are_the_shipped_files():
    names = builtin_names()
    assert names == sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))
    assert "labor-2011" in names and len(names) >= 4


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_loads(name):
    scn = load_scenario(name)
    assert scn.name == name
    assert scn.path == str(BUILTIN_DIR / f"{name}.toml")
    assert sum(scn.round1_counts()) == scn.roll
    assert len(scn.finalists) == 2


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_events_are_sorted_by_day(name):
    days = [e.day for e in load_scenario(name).events]
    assert days == sorted(days)
    assert all(1 <= d < load_scenario(name).election_day for d in days)


def test_builtin_also_loads_by_path():
    by_name = load_scenario("labor-2011")
    by_path = load_scenario(BUILTIN_DIR / "labor-2011.toml")
    assert by_name == by_path


def test_labor_2011_matches_official_record():
    scn = load_scenario("labor-2011")
    assert {c.name: c.votes for c in scn.candidates} == LABOR_2011_ROUND1
    assert scn.blank == 273
    assert scn.roll == 66310
    assert scn.abstained == 22126
    assert scn.election_day == 9
    assert scn.finalists == ("Yachimovich", "Peretz")
    assert scn.eliminated == ("Herzog", "Mitzna")
    assert scn.observed is not None
    assert scn.observed.votes == {"Yachimovich": 22299, "Peretz": 18769}


def test_labor_2011_timeline():
    scn = load_scenario("labor-2011")
    assert sorted({e.day for e in scn.events}) == [1, 2, 5, 7, 8]
    kinds = {(e.day, e.kind, getattr(e, "by", None)) for e in scn.events}
    assert (2, "offer", "Yachimovich") in kinds      # the No. 2 offer to Herzog (medium confidence)
    assert (5, "neutral", "Herzog") in kinds
    assert (5, "endorse", "Mitzna") in kinds


def test_events_are_sorted_by_day_stably(tmp_path):
    """File order 2, 1, 3, 4 becomes 1, 2, 3, 4; same-day events keep their file order."""
    text = mutate(VALID_TOML, END, '[[events]]\nkind = "endorse"\nday = 3\nby = "Union"\nfor = "Ann"\n')
    scn = load_scenario(write_scenario(tmp_path, text))
    assert [e.day for e in scn.events] == [1, 2, 3, 3, 4]
    same_day = [e.by for e in scn.events if e.day == 3]
    assert same_day == ["Cy", "Union"]
