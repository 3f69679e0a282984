"""Validation tier: every pattern of `runoff validate` is a test (quick sizes), run twice: it
must hold under the model and FAIL under the alternative it rules out (a pattern no alternative
can break would be true by construction)."""

from __future__ import annotations

import pytest

from runoff_abm.studies.validate import PATTERNS


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.__name__ for p in PATTERNS])
def test_validation_pattern_holds(pattern):
    check = pattern(quick=True)
    assert check.passed, f"{check.pattern}: target {check.target}; measured {check.measured}"
    assert check.rules_out and not check.alternative


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.__name__ for p in PATTERNS])
def test_validation_pattern_fails_under_its_alternative(pattern):
    check = pattern(quick=True, alternative=True)
    assert not check.passed, (f"{check.pattern} holds under {check.rules_out}: it cannot tell the model from "
                              f"that alternative; measured {check.measured}")
    assert check.alternative
