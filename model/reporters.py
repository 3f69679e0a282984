"""Named reporter functions for the model's DataCollector (one value per day).

Projected figures are expectations given today's state, computed analytically (no draws):
    E[turnout]  = sum_i P_i / n
    E[votes_A]  = sum_i P_i * (c_i * [instruction_i = A] + (1 - c_i) * x_i)
where P_i is the member's election-day turnout probability, x_i its leaning and c_i its
compliance (its contractor's, raised by its bloc's visibility at its polling station) if the
member is in the bloc of an active contractor (else 0).
"""

from __future__ import annotations

import numpy as np


def member_projection(model) -> tuple[np.ndarray, np.ndarray]:
    """Per member, given today's state: the probability of voting on election day ``P_i`` and,
    when voting, of voting for finalist A (``c_i [instruction_i = A] + (1 - c_i) x_i``)."""
    st = model.state
    prob = model.engine.turnout_probability()
    active = model.engine.active_bloc()
    comp = np.where(active, st.compliance, 0.0)
    to_a = np.where(active & (model.contractor_array("instruction")[st.bloc] == 0), 1.0, 0.0)
    return prob, comp * to_a + (1 - comp) * st.leaning


def projection(model) -> tuple[float, float, float]:
    """Expected (votes A, votes B, voters) on election day given the current state."""
    prob, pa = member_projection(model)
    ea = float(np.sum(prob * pa))
    et = float(np.sum(prob))
    return ea, et - ea, et


def _expected(model) -> tuple[float, float, float]:
    """The projection computed by the model just before this collection (once, not per
    reporter); computed afresh if the model has none."""
    cached = getattr(model, "projection", None)
    return cached if cached is not None else projection(model)


def day(model) -> int:
    """The model's day (0 = round 1)."""
    return model.day


def projected_share_a(model) -> float:
    """Expected two-candidate share of finalist A on election day, given today's state."""
    ea, eb, et = _expected(model)
    return ea / et if et else float("nan")


def projected_share_b(model) -> float:
    """Expected two-candidate share of finalist B on election day, given today's state."""
    ea, eb, et = _expected(model)
    return eb / et if et else float("nan")


def projected_turnout(model) -> float:
    """Expected turnout on election day as a share of the (simulated) roll."""
    return _expected(model)[2] / model.n


def activists_a(model) -> int:
    """Activists in finalist A's camp."""
    return int(np.sum(model.state.camp == model.finalist_index[0]))


def activists_b(model) -> int:
    """Activists in finalist B's camp."""
    return int(np.sum(model.state.camp == model.finalist_index[1]))


def contractors_a(model) -> int:
    """Contractors instructing for finalist A."""
    return sum(1 for c in model.contractors if c.instruction == 0)


def contractors_b(model) -> int:
    """Contractors instructing for finalist B."""
    return sum(1 for c in model.contractors if c.instruction == 1)
