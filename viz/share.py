"""A shareable link that reproduces the app's settings, read back through the loader's checks.

The query string of a link names a built-in scenario, the seed, the member count, the changed
parameters, the events (as the scenario-file tables of :meth:`Event.to_table
<runoff_abm.model.events.Event.to_table>`, JSON in base64url) and any exercise rule chosen::

    ?scenario=labor-2011&seed=3&members=5000&set=endorsement_trust:0.9&events=W3sia2luZCI6...

:func:`encode` writes it; :func:`decode` reads a query string into a :class:`LinkRequest`
without trusting anything in it: the query is bounded in length and number of fields, the
events must be a flat list of tables of plain values, and the app then builds the settings with
the loader's own parsers (``parse_event``, ``parse_value``, ``parse_seed``, ``parse_members``)
exactly as for typed input. Nothing in a link is executed; an uploaded scenario cannot be
linked (its file is what one shares).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from runoff_abm.model.errors import InputError
from runoff_abm.model.limits import UPLOAD_LIMITS

__all__ = ["MAX_QUERY", "LinkRequest", "encode", "decode", "SHARE_KEYS"]

#: Longest query string the app reads (characters).
MAX_QUERY = 8192
#: The query keys a settings link uses (``exercise`` is read elsewhere).
SHARE_KEYS = ("scenario", "seed", "members", "set", "events", "rule")
_MAX_FIELDS = 64


@dataclass(frozen=True)
class LinkRequest:
    """The settings a link asks for, not yet checked against a scenario.

    Attributes:
        scenario: a built-in scenario name (checked by the app).
        seed, members: as typed (checked by the app's parsers), or None.
        overrides: (name, value text) pairs.
        events: the event tables, or None to keep the scenario's own.
        rules: (slot, rule name) pairs.
    """

    scenario: str
    seed: str | None = None
    members: str | None = None
    overrides: tuple[tuple[str, str], ...] = ()
    events: tuple[dict, ...] | None = None
    rules: tuple[tuple[str, str], ...] = ()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def encode(scenario: str, seed: int, members: int, overrides, events_tables=None, rules=()) -> str:
    """The query string (without ``?``) of a link to these settings.

    Args:
        scenario: a built-in scenario name.
        seed: the run's seed.
        members: the run's member count.
        overrides: (name, value) parameter changes.
        events_tables: the event list as tables (None: the scenario's own events).
        rules: (slot, name) exercise rules.
    """
    query: list[tuple[str, str]] = [("scenario", scenario), ("seed", str(seed)), ("members", str(members))]
    if overrides:
        query.append(("set", ",".join(f"{k}:{v:g}" if isinstance(v, float) else f"{k}:{v}" for k, v in overrides)))
    if events_tables is not None:
        text = json.dumps(list(events_tables), separators=(",", ":"), ensure_ascii=False)
        query.append(("events", _b64(text.encode("utf-8"))))
    if rules:
        query.append(("rule", ",".join(f"{s}:{n}" for s, n in rules)))
    return urlencode(query)


def _fail(field: str, message: str):
    raise InputError("link", field, message)


def _one(values: dict, key: str) -> str | None:
    got = values.get(key)
    if not got:
        return None
    if len(got) > 1:
        _fail(key, "given more than once")
    return got[0]


def _pairs(text: str | None, key: str) -> tuple[tuple[str, str], ...]:
    if not text:
        return ()
    out = []
    for item in text.split(","):
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            _fail(key, f"expected name:value items separated by commas, got {item[:40]!r}")
        out.append((name.strip(), value.strip()))
    return tuple(out)


def _events(text: str) -> tuple[dict, ...]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        _fail("events", "not a list of events written by the app (copy the whole link)")
    if not isinstance(data, list):
        _fail("events", "expected a list of events")
    if len(data) > UPLOAD_LIMITS.max_events:
        _fail("events", f"{len(data):,} events; at most {UPLOAD_LIMITS.max_events:,}")
    for i, table in enumerate(data):
        if not isinstance(table, dict) or not all(
                isinstance(k, str) and (isinstance(v, (str, int, float)) and not isinstance(v, bool))
                for k, v in table.items()):
            _fail(f"events[{i}]", "expected a table of plain values (kind, day, names, numbers)")
    return tuple(data)


def decode(query: str | None) -> LinkRequest | None:
    """The settings a query string asks for; None when it names no scenario (not a link).

    Raises:
        InputError: ``link: FIELD: ...`` for a query that is too long, malformed or repeated.
    """
    if not query:
        return None
    query = query.lstrip("?")
    if len(query) > MAX_QUERY:
        _fail("", f"the link is {len(query):,} characters long; at most {MAX_QUERY:,}")
    try:
        values = parse_qs(query, keep_blank_values=False, max_num_fields=_MAX_FIELDS)
    except ValueError:
        _fail("", "too many fields")
    scenario = _one(values, "scenario")
    if scenario is None:
        return None
    events = _one(values, "events")
    return LinkRequest(scenario=scenario, seed=_one(values, "seed"), members=_one(values, "members"),
                       overrides=_pairs(_one(values, "set"), "set"),
                       events=_events(events) if events is not None else None,
                       rules=_pairs(_one(values, "rule"), "rule"))
