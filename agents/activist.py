"""An activist: a member who campaigns for a camp, canvasses its ties and may switch camps.

An activist of a finalist's camp is committed: its leaning is pinned to its camp. An activist
whose candidate was eliminated is *orphaned* and may join a finalist's camp by complex
contagion (``contagion_threshold`` fellow activists already there), by following its
candidate's endorsement, or by a scheduled ``activists_defect`` event.
"""

from __future__ import annotations

from runoff_abm.agents.member import Member


class Activist(Member):
    """A campaign worker of a candidate (its *camp*); also a member who votes."""

    @property
    def camp(self) -> str:
        """The name of the candidate whose camp the activist is in."""
        return self.model.categories[self.model.state.camp[self.index]]

    @property
    def camp_side(self) -> int:
        """0 if the camp is finalist A, 1 if finalist B, -1 if the camp's candidate is out."""
        return self.model.side_of[int(self.model.state.camp[self.index])]

    @property
    def is_pinned(self) -> bool:
        """True while the activist's camp is a finalist's (its leaning is pinned)."""
        return self.camp_side >= 0

    def join(self, candidate_index: int) -> None:
        """Move to ``candidate_index``'s camp; a finalist's activist adopts its camp's leaning
        (see :meth:`runoff_abm.model.RunoffModel.join_camp`)."""
        self.model.join_camp(self.index, candidate_index)

    def canvass(self, draws, contacts) -> None:
        """Contact each tie with probability ``canvass_rate`` (one draw per tie, in id order)
        and record the contact in ``contacts[side]`` of the neighbour."""
        side = self.camp_side
        if side < 0:
            return
        rate = self.model.params.canvass_rate
        for j, u in zip(self.neighbours(), draws, strict=True):
            if u < rate:
                contacts[side][j] += 1

    def consider_switching(self, camp_snapshot, u_switch: float, u_tie: float):
        """Complex contagion for an orphaned activist: count fellow activists in each finalist's
        camp among its ties (from the day's snapshot); if a camp has at least
        ``contagion_threshold``, switch to it with probability ``contagion_prob`` (to the camp
        with more, a coin flip on a tie). Returns the new camp index or None."""
        if self.camp_side >= 0:
            return None
        side_of = self.model.side_of
        counts = [0, 0]
        for j in self.neighbours():
            c = camp_snapshot[j]
            if c >= 0 and side_of[c] >= 0:
                counts[side_of[c]] += 1
        p = self.model.params
        ok = [counts[0] >= p.contagion_threshold, counts[1] >= p.contagion_threshold]
        if not (ok[0] or ok[1]) or not u_switch < p.contagion_prob:
            return None
        if ok[0] and ok[1]:
            side = 0 if counts[0] > counts[1] else 1 if counts[1] > counts[0] else (0 if u_tie < 0.5 else 1)
        else:
            side = 0 if ok[0] else 1
        return self.model.finalist_index[side]
