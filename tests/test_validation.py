"""Validation tier: every pattern of `runoff validate` is a test (quick sizes)."""

from __future__ import annotations

import pytest

from runoff_abm.studies.validate import PATTERNS


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.__name__ for p in PATTERNS])
def test_validation_pattern(pattern):
    check = pattern(quick=True)
    assert check.passed, f"{check.pattern}: target {check.target}; measured {check.measured}"
