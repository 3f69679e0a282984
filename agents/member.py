"""A party member: round-1 record, leaning, turnout propensity, sector, bloc; votes once.

The member's state lives in the model's arrays (``model.state``); this agent is a view with the
member's behaviour as small named methods. The per-agent reference engine calls these methods;
the array engine (``model/engine.py``) applies the same equations to all members at once and
must give identical results for the same seed.
"""

from __future__ import annotations

from runoff_abm.agents.base import RunoffAgent


class Member(RunoffAgent):
    """A party member who may vote in the runoff.

    Attributes:
        index: the member's id: its row in the state arrays and its node in the graph.
    """

    def __init__(self, model, index: int):
        super().__init__(model)
        self.index = index

    # ----------------------------------------------------------------- views on the state
    @property
    def leaning(self) -> float:
        """Probability of voting for finalist A if voting by own preference (0..1)."""
        return float(self.model.state.leaning[self.index])

    @leaning.setter
    def leaning(self, value: float) -> None:
        self.model.state.leaning[self.index] = value

    @property
    def propensity(self) -> float:
        """Own probability of turning out (0..1), before any contractor's mobilisation."""
        return float(self.model.state.propensity[self.index])

    @propensity.setter
    def propensity(self, value: float) -> None:
        self.model.state.propensity[self.index] = value

    @property
    def susceptibility(self) -> float:
        """How far the member moves toward influences (0..1)."""
        return float(self.model.state.susceptibility[self.index])

    @property
    def round1(self) -> str:
        """Round-1 record: a candidate's name, ``blank`` or ``abstained``."""
        return self.model.categories[self.model.state.r1[self.index]]

    @property
    def sector(self) -> str:
        """The member's sector."""
        return self.model.sector_names[self.model.state.sector[self.index]]

    @property
    def contractor(self):
        """The Contractor whose bloc this member belongs to, or None."""
        c = int(self.model.state.bloc[self.index])
        return self.model.contractors[c] if c >= 0 else None

    @property
    def is_pinned(self) -> bool:
        """True for an activist of a finalist's camp: its leaning is fixed to its camp."""
        return False

    def neighbours(self):
        """Member ids of this member's ties, ascending."""
        return self.model.edges.neighbours(self.index)

    # ----------------------------------------------------------------- behaviour
    def absorb_canvass(self, contacts_a: int, contacts_b: int) -> None:
        """Take today's canvassing contacts: together they shift the log-odds of turning out by
        ``min(1, canvass_turnout * contacts)`` (to first order: ``p += k p (1 - p)``, so a settled
        habit barely moves) and, scaled by susceptibility, close a share of the gap to the
        canvassers' camp (``canvass_pull``), saturating at the whole gap."""
        m = contacts_a + contacts_b
        if m == 0:
            return
        p = self.model.params
        prop = self.propensity
        self.propensity = prop + min(1.0, p.canvass_turnout * m) * (prop * (1 - prop))
        if not self.is_pinned:
            x = self.leaning
            target = contacts_a / m
            self.leaning = x + min(1.0, p.canvass_pull * self.susceptibility * m) * (target - x)

    def influence_target(self, leaning, eps: float, rate: float):
        """Bounded-confidence step (Deffuant/Hegselmann-Krause on the graph): the leaning moves
        ``rate * susceptibility`` of the way to the mean of neighbours within ``eps``. Reads the
        snapshot ``leaning`` array; returns the new value (applied after all have computed)."""
        xi = float(leaning[self.index])
        if self.is_pinned:
            return xi
        total = 0.0
        count = 0
        for j in self.neighbours():
            xj = float(leaning[j])
            if abs(xj - xi) <= eps:
                total += xj
                count += 1
        if count == 0:
            return xi
        return xi + rate * self.susceptibility * (total / count - xi)

    def turnout_target(self, propensity, decay: float, social: float):
        """Daily drift of the propensity: a pull toward the neighbours' mean propensity (social
        turnout) scaled by ``4 p (1 - p)``, so that a settled habit (``p`` near 0 or 1) barely
        moves and the habitual split stays bimodal; then the attention decay. Reads the
        snapshot; returns the new value (applied after all have computed)."""
        pi = float(propensity[self.index])
        total = 0.0
        count = 0
        for j in self.neighbours():
            total += float(propensity[j])
            count += 1
        mean = total / count if count else pi
        return (1 - decay) * (pi + social * (4.0 * pi * (1.0 - pi)) * (mean - pi))

    def receive_endorsement(self, strength: float, toward_a: bool) -> None:
        """An endorsement (or an appeal) reaches this member: the leaning moves ``strength *
        endorsement_trust * susceptibility`` toward the endorsed finalist; the log-odds of
        turning out shift by ``strength * endorsement_mobilisation`` (first order:
        ``p += k p (1 - p)``)."""
        p = self.model.params
        if not self.is_pinned:
            x = self.leaning
            self.leaning = x + strength * p.endorsement_trust * self.susceptibility * ((1.0 if toward_a else 0.0) - x)
        prop = self.propensity
        self.propensity = prop + strength * p.endorsement_mobilisation * (prop * (1 - prop))

    def lose_cue(self, loss: float) -> None:
        """The member loses its cue (its finalist made a deal it objects to): the propensity
        falls by the share ``loss``."""
        self.propensity = self.propensity * (1 - loss)

    @property
    def compliance(self) -> float:
        """Probability of voting as its contractor instructs (0 outside a bloc): the contractor's
        compliance raised by the bloc's visibility at the member's polling station."""
        return float(self.model.state.compliance[self.index])

    def turnout_probability(self) -> float:
        """Election-day turnout probability: own propensity, raised by an active contractor's
        capacity ``c`` to ``1 - (1 - p)(1 - c)``."""
        c = self.contractor
        p = self.propensity
        if c is not None and c.instruction >= 0:
            return 1 - (1 - p) * (1 - c.capacity)
        return p

    def vote(self, u_turnout: float, u_comply: float, u_choice: float,
             p_turnout: float | None = None, p_choice: float | None = None) -> int:
        """Election day: turn out with :meth:`turnout_probability`; a bloc member of an active
        contractor votes as instructed with the contractor's compliance, otherwise the member
        votes A with probability equal to its leaning. Compliance is :attr:`compliance` (the
        contractor's, raised where the bloc is visible). Returns 0 (A), 1 (B) or -1 (abstain).
        ``p_turnout`` / ``p_choice`` are the values of plug-in rules (:mod:`runoff_abm.model.rules`)."""
        if not u_turnout < (self.turnout_probability() if p_turnout is None else p_turnout):
            return -1
        c = self.contractor
        if c is not None and c.instruction >= 0 and u_comply < self.compliance:
            return c.instruction
        return 0 if u_choice < (self.leaning if p_choice is None else p_choice) else 1
