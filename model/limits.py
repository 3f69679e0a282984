"""Limits on what one input may ask of the machine, enforced by the loader, not by the file.

A scenario file describes a runoff; it must not be able to exhaust a server that serves a class,
or make a run hang. :class:`Limits` bounds the size of the file, its nesting, its ``base``
chain, and the counts it may declare. The command line uses :data:`DEFAULT_LIMITS` (generous:
a researcher's own files); the app uses :data:`UPLOAD_LIMITS` for uploaded files, whose
``base`` may only name a built-in scenario (``docs/security.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Limits", "DEFAULT_LIMITS", "UPLOAD_LIMITS"]


@dataclass(frozen=True)
class Limits:
    """Bounds on one scenario input.

    Attributes:
        max_file_bytes: largest scenario file (and each file in its ``base`` chain).
        max_nesting: deepest nesting of TOML tables and arrays.
        max_base_depth: longest chain of ``base`` files.
        base_paths: whether ``base`` (and ``parameters_from``) may name files; when False only
            built-in scenario names are allowed (uploads).
        max_roll: largest roll (members on the list).
        max_candidates, max_sectors, max_contractors, max_institutions, max_events: counts.
        max_patterns: observed patterns (``[[observed.patterns]]``).
        max_name_length: longest name of a candidate, sector, contractor or institution.
        allow_rules: whether the file may carry a ``[rules]`` table at all. Even when it may,
            its rules run only when the user trusts the file (``runoff run FILE --trust-rules``,
            ``RunoffModel(..., trust_rules=True)``); uploads may not name rules.
    """

    max_file_bytes: int = 2_000_000
    max_nesting: int = 16
    max_base_depth: int = 8
    base_paths: bool = True
    max_roll: int = 100_000_000
    max_candidates: int = 64
    max_sectors: int = 256
    max_contractors: int = 4096
    max_institutions: int = 256
    max_events: int = 1024
    max_patterns: int = 256
    max_name_length: int = 80
    allow_rules: bool = True

    def replace(self, **changes) -> Limits:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)


#: What the command line and the Python API accept (a user's own files).
DEFAULT_LIMITS = Limits()

#: What the app accepts from an uploaded file: smaller, and ``base`` only by built-in name.
UPLOAD_LIMITS = Limits(max_file_bytes=1_000_000, max_base_depth=2, base_paths=False, max_candidates=32,
                       max_sectors=64, max_contractors=512, max_institutions=64, max_events=256,
                       max_patterns=64, allow_rules=False)
