"""The package's error classes: one base, so that every front end reports bad input the same way.

Every error that means "this input cannot be used" derives from :class:`RunoffError`. Its
message is one line that names the source (file, option or field), what is wrong and what is
allowed. The command line prints it after ``runoff: error:`` and exits with status 2; the app
shows it beside the field; Python callers can catch the base class. Errors that are bugs (any
other exception) are not RunoffErrors and are never dressed up as bad input.
"""

from __future__ import annotations

__all__ = [
    "RunoffError", "InputError", "ParameterError", "ScenarioError", "RuleError", "SpecError", "SweepError",
    "clean_text", "clean_list", "one_line",
]


def one_line(text: str, limit: int = 2000) -> str:
    """``text`` with every non-printable character (newline, escape, NUL, bidi control) shown
    escaped, cut at ``limit`` characters: what a message may print of text it did not write."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clean_text(value: object, limit: int = 80) -> str:
    """``repr``-like text of a user-supplied value that is safe to echo in a one-line message.

    Control characters (newlines, escapes, NUL) are shown escaped, never interpreted, so a name
    cannot forge extra lines or terminal sequences; long values are cut at ``limit`` characters.
    Containers are shown by type and size only when their text would be long or deep.
    """
    if isinstance(value, str):
        text = "'" + value[: limit + 1].encode("unicode_escape").decode("ascii") + "'"
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        text = repr(value)
    elif isinstance(value, int):
        text = repr(value) if value.bit_length() < 200 else f"<a whole number of {value.bit_length()} bits>"
    elif isinstance(value, (list, tuple, dict)):
        text = _short_container(value, limit)
    else:
        text = one_line(repr(value), limit + 1) if type(value).__repr__ is not object.__repr__ \
            else f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _short_container(value: list | tuple | dict, limit: int) -> str:
    """A container's text when it is small and shallow, else its type and length."""
    kind = {list: "array", tuple: "array", dict: "table"}.get(type(value), type(value).__name__)
    if len(value) <= 8:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        parts = []
        for k, v in items:
            if isinstance(v, (list, tuple, dict)) and v:
                break
            part = clean_text(v, 30)
            parts.append(f"{clean_text(k, 30)}: {part}" if isinstance(value, dict) else part)
        else:
            inner = ", ".join(parts)
            text = "{" + inner + "}" if isinstance(value, dict) else "[" + inner + "]"
            if len(text) <= limit:
                return text
    return f"<{kind} of {len(value)}>"


def clean_list(names, limit: int = 12) -> str:
    """Names joined by commas for an "allowed: ..." list, each echoed safely, at most ``limit``."""
    names = list(names)
    shown = ", ".join(n if isinstance(n, str) and n.isprintable() and len(n) <= 40 else clean_text(n, 40)
                      for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


class RunoffError(Exception):
    """Base class of every input error (exit status 2 on the command line)."""


class InputError(RunoffError, ValueError):
    """A value given by the user (an option, an argument, a field) that is not allowed.

    Attributes:
        source: where the value came from (a file, ``--seed``, ``members``); may be empty.
        field: the field within the source (e.g. ``events[2].day``); may be empty.
        message: what is wrong and what is allowed.
    """

    def __init__(self, source: str, field: str, message: str):
        self.source = source
        self.field = field
        self.message = one_line(message)
        where = ": ".join(one_line(p, 300) for p in (source, field) if p)
        super().__init__(f"{where}: {self.message}" if where else self.message)


class ParameterError(InputError):
    """A parameter name or value that the model does not accept (``source`` is empty, ``field``
    the parameter's name)."""

    def __init__(self, name: str, message: str):
        super().__init__("", name, message)
        self.name = name


class ScenarioError(InputError):
    """A scenario that cannot be used, with the file, the field and what is allowed."""


class SpecError(ScenarioError):
    """A sweep spec that cannot be used (file, field, what is allowed)."""


class RuleError(InputError):
    """A plug-in rule that cannot be loaded or that failed (one clear message)."""

    def __init__(self, message: str):
        super().__init__("", "", message)


class SweepError(RunoffError):
    """A sweep that cannot start or go on (reported in one line, exit status 2)."""
