"""The two engines that apply the members' daily rules: per-agent reference and array.

``AgentEngine`` is the readable reference: it calls the named behaviour methods of each
:class:`runoff_abm.agents.Member` / :class:`runoff_abm.agents.Activist` one agent at a time, exactly as ``docs/ODD.md``
states them. ``ArrayEngine`` applies the same equations to all members at once with numpy over
the CSR adjacency. Both consume the same draws (arrays indexed by member, activist or tie) in
the same floating-point order, so for one seed they give identical results; the tests hold them
to that. Contractors and candidates are few; their rules (and their decisions) live on their agents and
are shared by both engines.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ArrayEngine", "AgentEngine", "ENGINES", "update_together"]


class _Base:
    """What both engines share: the model's arrays, activist ties, turnout probability."""

    def __init__(self, model):
        self.model = model
        st = model.state
        e = model.edges
        self.act_ids = np.flatnonzero(st.camp >= 0)
        deg = e.degree[self.act_ids]
        self.act_src = np.repeat(np.arange(len(self.act_ids)), deg)
        if len(self.act_ids):
            self.act_nbrs = np.concatenate([e.neighbours(i) for i in self.act_ids])
            self.act_ptr = np.concatenate([[0], np.cumsum(deg)])
        else:
            self.act_nbrs = np.zeros(0, dtype=np.int64)
            self.act_ptr = np.zeros(1, dtype=np.int64)

    @property
    def n_activist_ties(self) -> int:
        return len(self.act_nbrs)

    def pinned(self) -> np.ndarray:
        """Members whose leaning is fixed: activists of a finalist's camp."""
        camp = self.model.state.camp
        return (camp >= 0) & (self.model.side_of_arr[np.maximum(camp, 0)] >= 0)

    def turnout_probability(self) -> np.ndarray:
        """Election-day turnout probability of every member (shared by both engines)."""
        m = self.model
        st = m.state
        p = st.propensity
        prob = p.copy()
        active = self.active_bloc()
        cap = m.contractor_array("capacity")
        prob[active] = 1 - (1 - p[active]) * (1 - cap[st.bloc[active]])
        return prob

    def member_update(self) -> None:
        """The day's member update: social influence, then turnout drift (both synchronous)."""
        self.influence()
        self.turnout_drift()

    def active_bloc(self) -> np.ndarray:
        """Members of a bloc whose contractor currently instructs for a finalist."""
        return self.model.contractor_array("instruction")[self.model.state.bloc] >= 0

    # The steps each engine implements (the two engines agree to the bit on all of them).
    def canvass(self, u: np.ndarray) -> None:
        """Activists canvass their ties (``u``: one uniform per activist tie)."""
        raise NotImplementedError

    def contagion(self, u: np.ndarray) -> list[tuple[int, int]]:
        """Orphaned activists' camp switches (``u``: two uniforms per activist); returns (activist, camp)."""
        raise NotImplementedError

    def endorse_members(self, ids: np.ndarray, strength: float, side: int) -> None:
        """Members ``ids`` move toward finalist ``side`` as under an endorsement of ``strength``."""
        raise NotImplementedError

    def cool_members(self, ids: np.ndarray, loss: float) -> None:
        """Members ``ids`` lose ``loss`` of their turnout propensity."""
        raise NotImplementedError

    def influence(self) -> None:
        """One synchronous round of bounded-confidence social influence on the leanings."""
        raise NotImplementedError

    def turnout_drift(self) -> None:
        """One day of turnout drift (decay plus social pull toward neighbours' propensity)."""
        raise NotImplementedError

    def election(self, u: np.ndarray, turnout: np.ndarray | None = None,
                 choice: np.ndarray | None = None) -> np.ndarray:
        """Election day: every member's vote (-1 abstained, 0 finalist A, 1 finalist B)."""
        raise NotImplementedError


class ArrayEngine(_Base):
    """All members at once: numpy over the CSR arrays.

    Neighbour sums use the kernel of :mod:`runoff_abm.model.influence` (scipy CSR mat-vecs that add each
    row's terms in the reference engine's order), so the two engines agree to the bit.
    """

    name = "array"

    def __init__(self, model):
        super().__init__(model)
        from runoff_abm.model.influence import BoundedConfidence

        self.kernel = BoundedConfidence.from_edges(model.edges)

    def member_update(self) -> None:
        """Influence and turnout drift in one call of the kernel (one fused pass over the ties
        with numba; :meth:`influence` then :meth:`turnout_drift` in numpy otherwise)."""
        st, p = self.model.state, self.model.params
        st.leaning, st.propensity = self.kernel.update(
            st.leaning, st.susceptibility, p.confidence_bound, p.influence_rate, self.pinned(), st.propensity,
            p.daily_turnout_decay, p.social_turnout)

    def canvass(self, u: np.ndarray) -> None:
        """Activists contact neighbours (draws ``u``, one per activist tie): turnout and leaning move."""
        m = self.model
        st, p = m.state, m.params
        n = len(st.leaning)
        camp = st.camp[self.act_ids]
        side = np.where(camp >= 0, m.side_of_arr[np.maximum(camp, 0)], -1)[self.act_src]
        contact = (u < p.canvass_rate) & (side >= 0)
        # one pass: contacts per (member, side) as a bincount over 2 * member + side
        counts = np.bincount(2 * self.act_nbrs[contact] + side[contact], minlength=2 * n).reshape(n, 2)
        who = np.flatnonzero(counts[:, 0] + counts[:, 1])
        ma = counts[who, 0].astype(np.float64)
        mm = ma + counts[who, 1]
        prop = st.propensity[who]
        st.propensity[who] = prop + np.minimum(1.0, p.canvass_turnout * mm) * (prop * (1 - prop))
        free = ~self.pinned()[who]
        ids, k = who[free], mm[free]
        x = st.leaning[ids]
        st.leaning[ids] = x + np.minimum(1.0, p.canvass_pull * st.susceptibility[ids] * k) * (ma[free] / k - x)

    def contagion(self, u: np.ndarray) -> list[tuple[int, int]]:
        """Orphaned activists over the threshold join a finalist's camp: (activist, camp) pairs."""
        m = self.model
        st, p = m.state, m.params
        camp = st.camp
        nb_camp = camp[self.act_nbrs]
        nb_side = np.where(nb_camp >= 0, m.side_of_arr[np.maximum(nb_camp, 0)], -1)
        na = np.bincount(self.act_src[nb_side == 0], minlength=len(self.act_ids))
        nbb = np.bincount(self.act_src[nb_side == 1], minlength=len(self.act_ids))
        own = camp[self.act_ids]
        orphan = m.side_of_arr[own] < 0
        ok_a = na >= p.contagion_threshold
        ok_b = nbb >= p.contagion_threshold
        go = orphan & (ok_a | ok_b) & (u[0] < p.contagion_prob)
        side = np.where(ok_a & ok_b, np.where(na > nbb, 0, np.where(nbb > na, 1, np.where(u[1] < 0.5, 0, 1))),
                        np.where(ok_a, 0, 1))
        return [(int(self.act_ids[k]), int(m.finalist_index[side[k]])) for k in np.flatnonzero(go)]

    def endorse_members(self, ids: np.ndarray, strength: float, side: int) -> None:
        """Members ``ids`` receive an endorsement of ``strength`` for finalist ``side``."""
        m = self.model
        st, p = m.state, m.params
        target = 1.0 if side == 0 else 0.0
        free = ids[~self.pinned()[ids]]
        x = st.leaning[free]
        st.leaning[free] = x + strength * p.endorsement_trust * st.susceptibility[free] * (target - x)
        prop = st.propensity[ids]
        st.propensity[ids] = prop + strength * p.endorsement_mobilisation * (prop * (1 - prop))

    def cool_members(self, ids: np.ndarray, loss: float) -> None:
        """Members ``ids`` lose a share ``loss`` of their propensity."""
        st = self.model.state
        st.propensity[ids] = st.propensity[ids] * (1 - loss)

    def influence(self) -> None:
        """Bounded-confidence social influence (synchronous)."""
        st, p = self.model.state, self.model.params
        st.leaning = self.kernel.step(st.leaning, st.susceptibility, p.confidence_bound, p.influence_rate,
                                      frozen=self.pinned())

    def turnout_drift(self) -> None:
        """Propensities drift toward the neighbours' mean, then decay (synchronous)."""
        m = self.model
        st, p = m.state, m.params
        prop = st.propensity
        deg = m.edges.degree
        tot = self.kernel.neighbour_sum(prop)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(deg > 0, tot / deg, prop)
        st.propensity = (1 - p.daily_turnout_decay) * (prop + p.social_turnout * (4.0 * prop * (1.0 - prop))
                                                       * (mean - prop))

    def election(self, u: np.ndarray, turnout: np.ndarray | None = None,
                 choice: np.ndarray | None = None) -> np.ndarray:
        """Election day: every member's vote (-1 abstained, 0 finalist A, 1 finalist B)."""
        m = self.model
        st = m.state
        prob = self.turnout_probability() if turnout is None else turnout
        lean = st.leaning if choice is None else choice
        voted = u[0] < prob
        active = self.active_bloc()
        instr = m.contractor_array("instruction")[st.bloc]
        comply = active & (u[1] < st.compliance)
        vote = np.where(comply, instr, np.where(u[2] < lean, 0, 1)).astype(np.int8)
        vote[~voted] = -1
        return vote


class AgentEngine(_Base):
    """The reference: each member's named method, one agent at a time (two-phase where the
    rule is synchronous: all compute from the day's snapshot, then all apply)."""

    name = "agents"

    def canvass(self, u: np.ndarray) -> None:
        """Each activist canvasses, then each contacted member absorbs its contacts."""
        m = self.model
        n = len(m.state.leaning)
        contacts = [np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)]
        for k, i in enumerate(self.act_ids):
            m.member(int(i)).canvass(u[self.act_ptr[k]:self.act_ptr[k + 1]], contacts)
        for i in np.flatnonzero((contacts[0] + contacts[1]) > 0):
            m.member(int(i)).absorb_canvass(int(contacts[0][i]), int(contacts[1][i]))

    def contagion(self, u: np.ndarray) -> list[tuple[int, int]]:
        """Each orphaned activist considers switching camps (from the day's snapshot)."""
        m = self.model
        snapshot = m.state.camp.copy()
        out = []
        for k, i in enumerate(self.act_ids):
            new = m.member(int(i)).consider_switching(snapshot, float(u[0][k]), float(u[1][k]))
            if new is not None:
                out.append((int(i), new))
        return out

    def endorse_members(self, ids: np.ndarray, strength: float, side: int) -> None:
        """Each member of ``ids`` receives the endorsement."""
        for i in ids:
            self.model.member(int(i)).receive_endorsement(strength, side == 0)

    def cool_members(self, ids: np.ndarray, loss: float) -> None:
        """Each member of ``ids`` loses its cue."""
        for i in ids:
            self.model.member(int(i)).lose_cue(loss)

    def influence(self) -> None:
        """Each member's influence target from the snapshot, then all apply."""
        m = self.model
        snapshot = m.state.leaning.copy()
        eps, rate = m.params.confidence_bound, m.params.influence_rate
        new = [m.member(i).influence_target(snapshot, eps, rate) for i in range(len(snapshot))]
        m.state.leaning = np.array(new, dtype=np.float64)

    def turnout_drift(self) -> None:
        """Each member's turnout target from the snapshot, then all apply."""
        m = self.model
        snapshot = m.state.propensity.copy()
        decay, social = m.params.daily_turnout_decay, m.params.social_turnout
        new = [m.member(i).turnout_target(snapshot, decay, social) for i in range(len(snapshot))]
        m.state.propensity = np.array(new, dtype=np.float64)

    def election(self, u: np.ndarray, turnout: np.ndarray | None = None,
                 choice: np.ndarray | None = None) -> np.ndarray:
        """Each member votes, one at a time."""
        m = self.model
        return np.array([m.member(i).vote(float(u[0][i]), float(u[1][i]), float(u[2][i]),
                                          None if turnout is None else float(turnout[i]),
                                          None if choice is None else float(choice[i]))
                         for i in range(len(m.state.leaning))], dtype=np.int8)


ENGINES = {"array": ArrayEngine, "agents": AgentEngine}


def update_together(engines: list) -> None:
    """The member update of several models' engines: array engines on one graph (the same
    ``Edges`` object) with equal susceptibilities as the columns of one state matrix
    (:meth:`runoff_abm.model.influence.BoundedConfidence.update_columns`), each column
    bit-identical to its own :meth:`ArrayEngine.member_update`; any other engine alone."""
    groups: dict[int, list] = {}
    for e in engines:
        if isinstance(e, ArrayEngine):
            groups.setdefault(id(e.model.edges), []).append(e)
        else:
            e.member_update()
    for group in groups.values():
        first = group[0]
        s = first.model.state.susceptibility
        same = [e for e in group if e is first or np.array_equal(e.model.state.susceptibility, s)]
        for e in group:
            if not any(e is x for x in same):
                e.member_update()
        if len(same) == 1:
            first.member_update()
            continue
        states = [e.model.state for e in same]
        params = [e.model.params for e in same]
        x = np.column_stack([st.leaning for st in states])
        p = np.column_stack([st.propensity for st in states])
        frozen = np.column_stack([e.pinned() for e in same])
        new_x, new_p = first.kernel.update_columns(
            x, s, np.array([q.confidence_bound for q in params]), np.array([q.influence_rate for q in params]), frozen,
            p, np.array([q.daily_turnout_decay for q in params]), np.array([q.social_turnout for q in params]))
        for c, st in enumerate(states):
            st.leaning = np.ascontiguousarray(new_x[:, c])
            st.propensity = np.ascontiguousarray(new_p[:, c])
