"""What a student reads when something is wrong: one line, 1-based, no server paths, no traceback.

Errors of the package name the place of a problem as a file does: ``events[4].strength``
(0-based, the TOML array index) and, for files on the server, their path. A browser must see
neither a server path nor a 0-based index, so every text the app shows passes through
:func:`student_text`, which

* turns ``events[4]`` into ``event 5`` (``candidates[0]`` into ``candidate 1``, and so on) and
  ``event 5.strength`` into ``event 5, strength``;
* replaces every absolute path by its file name (``/srv/…/labor-2011.toml`` -> ``labor-2011.toml``).

:func:`field_problem` splits an :class:`~runoff_abm.model.errors.InputError` into the field it
concerns (so the app can show it beside that field) and the text. :func:`unexpected` is the one
text shown for a bug: the traceback goes to the server log under a short reference, never to the
browser.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass

from runoff_abm.model.errors import InputError

__all__ = ["student_text", "field_problem", "FieldProblem", "unexpected", "SINGULAR"]

logger = logging.getLogger("runoff_abm.viz")

#: Plural TOML array names -> what one element is called in a message.
SINGULAR = {"events": "event", "candidates": "candidate", "sectors": "sector", "contractors": "contractor",
            "institutions": "institution", "patterns": "pattern"}

_INDEX = re.compile(r"\b([A-Za-z_]+)\[(\d+)\](\.)?")
# an absolute POSIX path (two or more components) or a Windows drive path; keeps the last component
_POSIX_PATH = re.compile(r"(?<![\w.:/-])/(?:[^\s/'\"():,;]+/)+([^\s/'\"():,;]+)")
_WINDOWS_PATH = re.compile(r"\b[A-Za-z]:\\(?:[^\s\\'\"():,;]+\\)+([^\s\\'\"():,;]+)")


def _renumber(match: re.Match) -> str:
    name, index, dot = match.group(1), int(match.group(2)), match.group(3)
    one = SINGULAR.get(name, name)
    return f"{one} {index + 1}" + (", " if dot else "")


def student_text(text: str) -> str:
    """``text`` as a browser may show it: array indices counted from 1, paths cut to file names.

    >>> student_text("/srv/app/x/mine.toml: events[4].strength: 1.5 is out of range")
    'mine.toml: event 5, strength: 1.5 is out of range'
    """
    text = _POSIX_PATH.sub(lambda m: m.group(1), str(text))
    text = _WINDOWS_PATH.sub(lambda m: m.group(1), text)
    return _INDEX.sub(_renumber, text)


@dataclass(frozen=True)
class FieldProblem:
    """A problem to show beside one field.

    Attributes:
        field: the field's path as the package names it (e.g. ``events[4].strength``), or "".
        text: the student's text (see :func:`student_text`).
    """

    field: str
    text: str


def field_problem(err: Exception) -> FieldProblem:
    """The field and the student's text of an input error (any other exception: no field)."""
    if isinstance(err, InputError):
        return FieldProblem(field=err.field or "", text=student_text(str(err)))
    return FieldProblem(field="", text=student_text(str(err)))


def unexpected(err: BaseException, what: str) -> str:
    """Log a bug with its traceback under a short reference; return the text for the browser.

    Args:
        err: the exception (logged with its traceback, never shown).
        what: what the app was doing (``"step"``, ``"upload"``), for the log and the text.
    """
    ref = secrets.token_hex(3)
    logger.error("unexpected error during %s (ref %s)", what, ref, exc_info=(type(err), err, err.__traceback__))
    return (f"Something went wrong on the server during {what} (reference {ref}; the details are in the "
            "server's log). Your settings are unchanged; try again, or Reset.")
