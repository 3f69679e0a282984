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
    "clean_text",
]


def clean_text(value: object, limit: int = 80) -> str:
    """``repr``-like text of a user-supplied value that is safe to echo in a one-line message.

    Control characters (newlines, escapes, NUL) are shown escaped, never interpreted, so a name
    cannot forge extra lines or terminal sequences; long values are cut at ``limit`` characters.
    """
    text = repr(value) if not isinstance(value, str) else "'" + value.encode("unicode_escape").decode("ascii") + "'"
    return text if len(text) <= limit else text[: limit - 4] + "...'"


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
        self.message = message
        where = ": ".join(p for p in (source, field) if p)
        super().__init__(f"{where}: {message}" if where else message)


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
