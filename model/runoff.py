"""``RunoffModel``: a party-leadership runoff between round 1 (day 0) and election day.

Builds members, activists, contractors and candidates from a scenario on a seeded influence
graph, places members in polling stations, reproduces round 1 exactly, steps one campaign day
at a time (events; eliminated candidates' decisions; contractors' decisions; activist
contagion; canvassing; social influence; turnout drift) and holds the runoff on election day.
Every decision of a candidate or a contractor is recorded with the utility terms that made it
(``model.decisions``, ``RunResult.decisions``). The process schedule and every equation are in
``docs/ODD.md``; the member rules are the named methods of :mod:`runoff_abm.agents` (reference engine) and
their array form in :mod:`runoff_abm.model.engine` (default engine), which give identical results.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from runoff_abm.agents import Activist, Candidate, Contractor, Member
from runoff_abm.agents.candidate import ENDORSED, NEUTRAL, UNDECLARED
from runoff_abm.model import reporters
from runoff_abm.model.engine import ENGINES
from runoff_abm.model.errors import InputError
from runoff_abm.model.events import ActivistsDefect
from runoff_abm.model.inputs import parse_members
from runoff_abm.model.network import Edges, build_edges, to_networkx
from runoff_abm.model.params import PARAM_SPECS, Params
from runoff_abm.model.population import Population, bloc_visibility, build_population, largest_remainder
from runoff_abm.model.result import RunResult
from runoff_abm.model.rng import Streams, resolve_seed
from runoff_abm.model.rules import evaluate, resolve_rules
from runoff_abm.model.scenario import DEFAULT_SCENARIO, Scenario, load_scenario

__all__ = ["RunoffModel", "MemberState", "Prototypes", "SHAPING", "describe_decision", "run_together"]


def describe_decision(d: dict[str, Any]) -> str:
    """One sentence for a decision record: who chose what, how, and the odds it faced."""
    how = "scripted by the scenario" if d["how"] == "scripted" else "by the model"
    choice = d["choice"]
    if d["role"] == "candidate":
        head = f"{d['who']} stays neutral" if choice == "neutral" else f"{d['who']} decides to {choice}"
        if d.get("deal"):
            head += " and takes the deal"
    else:
        head = f"contractor {d['who']} ({d['patron']}) decides to {choice}"
        if d.get("waited_for_patron") is False:
            head += " before its patron declared"
    opts = d.get("options") or []
    if not opts:
        return f"{head} ({how})"
    odds = ", ".join(f"{o['option']} {o['probability']:.0%}" for o in opts)
    verb = "the model's odds were" if d["how"] == "scripted" else "odds"
    return f"{head} ({how}; {verb}: {odds})"


def _release_mesa_registry(model) -> None:
    """Forget ``model`` in Mesa 3.3's ``Agent._ids`` (a dict keyed by model that keeps every
    model alive); Mesa >= 3.4.2 holds no such reference."""
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


#: The parameters that shape a run's population or graph (``ParamSpec.shapes``, declared in
#: :mod:`runoff_abm.model.params`): runs that agree on them, the scenario's roll and the seed
#: start from the same population and graph.
SHAPING: tuple[str, ...] = tuple(s.name for s in PARAM_SPECS if s.shapes)


def shape_key(scn: Scenario, members: int, seed: int, params: Params) -> tuple:
    """What a run's initial population and graph depend on, and nothing else: the scenario's
    roll, round 1, sectors, contractors and stations (not its events or parameters table), the
    member count, the master seed and the values of the :data:`SHAPING` parameters."""
    structure = repr((scn.roll, scn.blank, scn.finalists, scn.candidates, scn.sectors, scn.contractors,
                      scn.stations))
    return (structure, int(members), int(seed), tuple(getattr(params, k) for k in SHAPING))


class Prototypes:
    """Populations and graphs built once and reused by runs with the same :func:`shape_key`.

    A sweep's design points with common random numbers share each replicate's seed; when they
    differ only in parameters that shape neither the population nor the graph, every point of a
    replicate starts from the same members and ties. A model given this cache takes a fresh
    copy of the population's arrays (it changes them as it runs) and shares the graph (made
    read-only). Results are identical to building afresh: the same draws from the same streams.
    Least recently used entries are dropped beyond ``max_bytes``.
    """

    def __init__(self, max_bytes: int = 512 * 2**20):
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, tuple[Population, Edges]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple) -> tuple[Population, Edges] | None:
        """The (population, graph) stored under ``key`` (the population is not copied), or None."""
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self.hits += 1
        self._items.move_to_end(key)
        return item

    def put(self, key: tuple, population: Population, edges: Edges) -> None:
        """Store a pristine population and a graph under ``key``."""
        self._items[key] = (population, edges.freeze())
        self._items.move_to_end(key)
        while len(self._items) > 1 and self.nbytes > self.max_bytes:
            self._items.popitem(last=False)

    @property
    def nbytes(self) -> int:
        """Bytes held by the stored arrays."""
        return sum(p.nbytes + e.nbytes for p, e in self._items.values())

    def clear(self) -> None:
        """Drop every entry."""
        self._items.clear()


@dataclass
class MemberState:
    """The members' state arrays (row = member id = graph node)."""

    r1: np.ndarray
    sector: np.ndarray
    bloc: np.ndarray
    camp: np.ndarray
    leaning: np.ndarray
    propensity: np.ndarray
    susceptibility: np.ndarray
    vote: np.ndarray  # int8: -1 abstained/not yet, 0 = finalist A, 1 = finalist B
    station: np.ndarray | None = None      # int32: polling station (constant)
    visibility: np.ndarray | None = None   # float64: own bloc's share of own station (constant)
    compliance: np.ndarray | None = None   # float64: chance to vote as instructed (0 outside blocs; constant)


class RunoffModel(mesa.Model):
    """An agent-based model of a party runoff.

    Args:
        scenario: a :class:`Scenario`, a built-in scenario name or a path to a TOML file.
        seed: master seed (a non-negative integer); None draws one, recorded in the result.
        members: number of members to simulate; None means the full roll. Round-1 counts are
            scaled by largest remainder, blocs and activists in proportion.
        params: a :class:`Params` or a mapping of overrides applied after the scenario's.
        engine: ``"array"`` (default, vectorised) or ``"agents"`` (per-agent reference).
        graph: optional networkx graph on nodes ``0..members-1`` to use as the influence graph
            instead of drawing one (for unit tests, teaching and user-supplied networks).
        rules: plug-in election-day rules ``{"turnout" | "choice": function or "file.py:func"}``
            (see :mod:`runoff_abm.model.rules`; paths relative to the working directory); they
            override the scenario's ``[rules]``.
        trust_rules: run the scenario file's own ``[rules]`` (code named by the file). Off by
            default: a scenario whose rules would run is refused with a message saying how to
            opt in (``docs/security.md``). Functions given in ``rules`` always run.
        prototypes: a :class:`Prototypes` cache: the population and graph are taken from it when
            a run with the same :func:`shape_key` built them, and stored in it otherwise (ignored
            when ``graph`` is given). Results are identical with or without it.
        **overrides: parameter overrides by name, applied last (e.g. ``influence_rate=0.2``).
    """

    #: The runoff's :class:`Scenario`. Mesa >= 3.5 has a ``Model.scenario`` property of its own (an
    #: experiment's parameters, a ``mesa.experimental.scenarios.Scenario``); here the name is a
    #: plain attribute holding the runoff scenario, on every Mesa version.
    running: bool
    scenario: Scenario = None  # type: ignore[assignment]  # set by __init__; the class attribute hides Mesa's

    def __init__(self, *, scenario: Scenario | str = DEFAULT_SCENARIO, seed: int | None = None,
                 members: int | None = None, params: Params | dict[str, Any] | None = None,
                 engine: str = "array", graph=None, rules: dict[str, Any] | None = None, trust_rules: bool = False,
                 prototypes: Prototypes | None = None, **overrides: Any):
        t0 = time.perf_counter()
        #: wall-clock seconds of each phase of this run (population, graph, agents, engine, day.<d>,
        #: election, result): what ``make bench`` reports; a few clock reads, no effect on results
        self.phase_times: dict[str, float] = {}
        seed = resolve_seed(seed)
        super().__init__(rng=seed)  # Mesa's own rng/random: seeded, unused by the model's rules
        self.seed = seed
        self.streams = Streams(seed)
        self.scenario = load_scenario(scenario) if isinstance(scenario, str) else scenario
        scn = self.scenario
        base = Params.from_mapping(scn.parameters)
        if isinstance(params, Params):
            base = params
        elif params:
            base = Params.from_mapping(params, base=base)
        self.params = base.replace(**overrides) if overrides else base
        self.rules, self.rule_records = resolve_rules(self.scenario, rules, trust_rules=trust_rules)
        if engine not in ENGINES:
            raise InputError("engine", "", f"{engine!r} is not an engine; allowed: {', '.join(ENGINES)}")
        self.n = scn.roll if members is None else parse_members(members)

        # names and indices
        self.categories = scn.categories
        self.finalists = scn.finalists
        names = [c.name for c in scn.candidates]
        self.finalist_index = (names.index(scn.finalists[0]), names.index(scn.finalists[1]))
        self.side_of = [0 if k == self.finalist_index[0] else 1 if k == self.finalist_index[1] else -1
                        for k in range(len(self.categories))]
        self.side_of_arr = np.array(self.side_of, dtype=np.int8)
        self.sector_names = [s.name for s in scn.sectors] or ["all"]
        self.day = 0
        self.election_day = scn.election_day
        self.event_log: list[tuple[int, str]] = []

        # population and graph
        t1 = time.perf_counter()
        self.phase_times["setup"] = t1 - t0
        cache = prototypes if graph is None else None
        key = shape_key(scn, self.n, seed, self.params) if cache is not None else None
        hit = cache.get(key) if cache is not None and key is not None else None
        if hit is not None:
            pop = hit[0].copy()
        else:
            pop = build_population(scn, self.n, self.params, self.streams.get("init"), self.streams.get("stations"))
        t2 = time.perf_counter()
        self.phase_times["population"] = t2 - t1
        self.state = MemberState(r1=pop.r1, sector=pop.sector, bloc=pop.bloc, camp=pop.camp,
                                 leaning=pop.leaning, propensity=pop.propensity,
                                 susceptibility=pop.susceptibility,
                                 vote=np.full(self.n, -1, dtype=np.int8), station=pop.station,
                                 visibility=pop.visibility, compliance=np.zeros(self.n))
        self.population = pop
        if hit is not None:
            self.edges: Edges = hit[1]
        elif graph is None:
            self.edges = build_edges(pop.sector, pop.r1, pop.camp, self.params, self.streams.get("graph"))
            if cache is not None and key is not None:
                cache.put(key, pop.copy(), self.edges)
        else:
            if set(graph.nodes) != set(range(self.n)):
                raise ValueError(f"graph: its nodes must be exactly 0..{self.n - 1} (one per member)")
            pairs = np.array(list(graph.edges), dtype=np.int64).reshape(-1, 2)
            self.edges = Edges.from_pairs(self.n, pairs[:, 0], pairs[:, 1])
        self._graph = None
        t3 = time.perf_counter()
        self.phase_times["graph"] = t3 - t2

        # agents
        self.decisions: list[dict[str, Any]] = []
        scripted = {getattr(ev, "by", None) for ev in scn.events if getattr(ev, "declares", False)}
        last = self.election_day - 1
        self.candidates = []
        for k, c in enumerate(scn.candidates):
            day = self.params.consult_days if c.consult_days is None else c.consult_days
            self.candidates.append(Candidate(
                self, k, c.name, c.votes, c.finalist, c.full_name,
                affinity=(c.affinity.get(scn.finalists[0], 0.0), c.affinity.get(scn.finalists[1], 0.0)),
                deliver=1.0 if c.deliver is None else c.deliver, decision_day=min(day, last),
                scripted=c.name in scripted))
        self.contractors = []
        for j, spec in enumerate(scn.contractors):
            comp = self.params.contractor_compliance if spec.compliance is None else spec.compliance
            cap = self.params.contractor_capacity if spec.capacity is None else spec.capacity
            auto = self.params.broker_autonomy if spec.autonomy is None else spec.autonomy
            self.contractors.append(Contractor(self, j, spec.name, names.index(spec.patron), spec.sector,
                                               comp, cap, np.flatnonzero(pop.bloc == j), autonomy=auto))
        self.refresh_blocs()
        self._members: list[Member] | None = None  # materialised on first use (see `members`)
        for a in np.flatnonzero(pop.camp >= 0):
            side = self.side_of[pop.camp[a]]
            if side >= 0:
                self.state.leaning[a] = 1.0 if side == 0 else 0.0

        t4 = time.perf_counter()
        self.phase_times["agents"] = t4 - t3
        self._together = False  # stepped by run_together (member update deferred to it)
        self._held: float | None = None
        self.engine = ENGINES[engine](self)
        self._defections: dict[int, dict] = {}
        self.result: RunResult | None = None
        self.datacollector = mesa.DataCollector(model_reporters={
            "day": reporters.day,
            "projected_share_a": reporters.projected_share_a,
            "projected_share_b": reporters.projected_share_b,
            "projected_turnout": reporters.projected_turnout,
            "activists_a": reporters.activists_a,
            "activists_b": reporters.activists_b,
            "contractors_a": reporters.contractors_a,
            "contractors_b": reporters.contractors_b,
        })
        self.collect()
        self.phase_times["engine"] = time.perf_counter() - t4

    # ------------------------------------------------------------------ accessors
    def member(self, i: int) -> Member:
        """The Member (or Activist) agent of member id ``i``."""
        return self.members[i]

    @property
    def members(self) -> list[Member]:
        """Member and Activist agents, index = member id. They are thin views over the state
        arrays, created on first use: the array engine never needs them, so a large run does
        not pay for 10^5-10^6 Mesa agents unless something asks for them."""
        if self._members is None:
            camp = self.state.camp
            self._members = [Activist(self, i) if camp[i] >= 0 else Member(self, i) for i in range(self.n)]
        return self._members

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All agents (Mesa's AgentSet), members included (materialising them if needed)."""
        self.members  # noqa: B018 - materialise the member views
        return super().agents

    @property
    def agents_by_type(self):
        """Agents by type (Mesa's), members included (materialising them if needed)."""
        self.members  # noqa: B018
        return super().agents_by_type

    @property
    def graph(self):
        """The influence graph as networkx (built on first access from the edge arrays)."""
        if self._graph is None:
            self._graph = to_networkx(self.edges, [s.name for s in self.scenario.sectors],
                                      self.state.sector, self.state.r1, self.state.camp,
                                      self.categories, [c.name for c in self.contractors], self.state.bloc)
        return self._graph

    def refresh_blocs(self) -> None:
        """Derive each contractor's member list, each member's visibility (its bloc's share of
        its polling station) and compliance from ``state.bloc`` and ``state.station`` (at
        initialisation, and after a unit test rewrites who is in which bloc or station)."""
        st = self.state
        assert st.station is not None, "members are assigned polling stations at initialisation"
        st.visibility = bloc_visibility(st.station, st.bloc)
        st.compliance = np.zeros(self.n)
        for c in self.contractors:
            c.members = np.flatnonzero(st.bloc == c.index)
            st.compliance[c.members] = c.member_compliance(st.visibility[c.members])

    def contractor_array(self, attr: str) -> np.ndarray:
        """One attribute of every contractor as an array, plus a sentinel last entry for
        "no contractor" (instruction -1, otherwise 0), so that the member array ``state.bloc``
        (-1 = none) indexes it directly."""
        if attr == "instruction":
            return np.array([c.instruction for c in self.contractors] + [-1], dtype=np.int64)
        return np.array([getattr(c, attr) for c in self.contractors] + [0.0], dtype=np.float64)

    def join_camp(self, member: int, camp: int) -> None:
        """Activist ``member`` joins ``camp`` (a candidate index); an activist of a finalist's
        camp is committed: its leaning becomes 1 (camp A) or 0 (camp B)."""
        self.state.camp[member] = camp
        side = self.side_of[camp]
        if side >= 0:
            self.state.leaning[member] = 1.0 if side == 0 else 0.0

    def log(self, text: str) -> None:
        """Append ``text`` to today's event log."""
        self.event_log.append((self.day, text))

    def record_decision(self, decision: dict[str, Any]) -> None:
        """Record a candidate's or contractor's decision (with its terms) and log it in words."""
        self.decisions.append(decision)
        self.log(describe_decision(decision))

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """Advance one day: a campaign day before election day, the vote on election day."""
        if not self.running:
            return
        t = time.perf_counter()
        self.day += 1
        if self.day < self.election_day:
            self.campaign_day()
            if self._together:  # run_together does the member update of all its models, then closes the day
                self._held = t
                return
        else:
            self.election()
            self.running = False
        self._close_day(t)

    def _close_day(self, t: float) -> None:
        """The end of a day begun at ``t``: collect the reporters; after the vote, the result."""
        self.collect()
        t1 = time.perf_counter()
        self.phase_times["election" if not self.running else f"day.{self.day}"] = t1 - t
        if not self.running:
            self.result = RunResult.from_model(self)
            self.phase_times["result"] = time.perf_counter() - t1

    def collect(self) -> None:
        """Record today's reporters: the projection is computed once and shared by them."""
        self.projection = reporters.projection(self)
        self.datacollector.collect(self)

    def run(self) -> RunResult:
        """Step to election day and return the result."""
        while self.running:
            self.step()
        assert self.result is not None
        return self.result

    def campaign_day(self) -> None:
        """One campaign day, in the order of ``docs/ODD.md`` (process overview)."""
        d = self.day
        rng = self.streams.get("day", d)
        u_canvass = rng.random(self.engine.n_activist_ties)
        u_contagion = rng.random((2, len(self.engine.act_ids)))
        u_contractor = rng.random((4, len(self.contractors)))
        u_candidate = rng.random((3, len(self.candidates)))

        for i, ev in enumerate(self.scenario.events):
            if ev.active_on(d):
                self.apply_event(i, ev)
        self.candidates_decide(u_candidate)
        last = d == self.election_day - 1
        for c in self.contractors:
            c.bargain(float(u_contractor[0][c.index]), [float(x) for x in u_contractor[1:, c.index]], last)
        switches = self.engine.contagion(u_contagion)
        for a, new in switches:
            self.join_camp(a, new)
        if switches:
            self.log(f"{len(switches)} orphaned activists join a finalist's camp (contagion)")
        self.engine.canvass(u_canvass)
        if not self._together:
            self.engine.member_update()

    def election(self) -> None:
        """Election day: every member turns out or not, then votes (blocs with compliance)."""
        u = self.streams.get("election").random((3, self.n))
        override = {k: evaluate(k, fn, self.members) for k, fn in self.rules.items()}
        self.state.vote = self.engine.election(u, **override)

    # ------------------------------------------------------------------ events
    def apply_event(self, i: int, ev) -> None:
        """Apply scenario event number ``i`` (its kind's ``apply``; ``docs/ODD.md``, *events*)."""
        ev.apply(self, i)

    def endorse(self, by: str, side: int, strength: float, rng: np.random.Generator, *, scripted: bool = False,
                why: dict[str, Any] | None = None) -> None:
        """``by`` endorses finalist ``side``: its voters (or reached members), activists and
        contractors respond by the rules in ``docs/ODD.md``. A candidate's endorsement of a
        finalist whose offer stands makes the deal (:meth:`make_deal`); ``scripted`` marks a
        scenario's declaration (history), ``why`` the explanation of a model decision."""
        st = self.state
        names = [c.name for c in self.candidates]
        target = self.candidates[self.finalist_index[side]]
        if by in names:
            cand = self.candidates[names.index(by)]
            if cand.status != UNDECLARED:
                self.log(f"{by}'s endorsement of {target.name} is void: {by} already {cand.status}")
                return
            if why is None:  # a scripted declaration: what the model would have weighed, for the record
                why = cand.explain()
            deal = cand.offers[side] is not None
            cand.status, cand.endorsed, cand.strength, cand.decided_day = ENDORSED, side, strength, self.day
            cand.endorsements_given.append((self.day, target.name, strength))
            self.record_decision({"day": self.day, "who": by, "role": "candidate",
                                  "choice": f"endorse {target.name}", "how": "scripted" if scripted else "model",
                                  "deal": deal, **why})
            reached = np.flatnonzero(st.r1 == cand.index)
            u_follow = rng.random(len(self.engine.act_ids))
            if deal:  # the offerer's own camp objects before the partner's activists arrive
                self.make_deal(cand, side)
            for k, a in enumerate(self.engine.act_ids):
                if st.camp[a] == cand.index and u_follow[k] < strength * self.params.activist_follow:
                    self.join_camp(int(a), self.finalist_index[side])
        else:
            inst = next(x for x in self.scenario.institutions if x.name == by)
            in_reach = np.ones(self.n, dtype=bool)
            if inst.sectors:
                in_reach = np.isin(st.sector, [self.sector_names.index(s) for s in inst.sectors])
            reached = np.flatnonzero(in_reach & (rng.random(self.n) < inst.reach))
        target.endorsements_received.append((self.day, by, strength))
        self.engine.endorse_members(reached, strength, side)
        self.log(f"{by} endorses {target.name} (strength {strength:g}; reaches {len(reached)} members)")

    def declare_neutral(self, by: str, *, scripted: bool = False, why: dict[str, Any] | None = None) -> None:
        """Eliminated candidate ``by`` declares neutrality: its voters get no cue (no effect on
        them beyond the loss of their candidate); its contractors decide without its word."""
        cand = next(c for c in self.candidates if c.name == by)
        if cand.status != UNDECLARED:
            self.log(f"{by}'s declaration of neutrality is void: {by} already {cand.status}")
            return
        if why is None:
            why = cand.explain()
        cand.status, cand.decided_day = NEUTRAL, self.day
        self.record_decision({"day": self.day, "who": by, "role": "candidate", "choice": "neutral",
                              "how": "scripted" if scripted else "model", "deal": False, **why})
        self.log(f"{by} declares neutrality")

    def candidates_decide(self, u: np.ndarray) -> None:
        """Each undeclared eliminated candidate whose declaration is not scripted decides on its
        decision day (draws ``u[:, k]``, one per option; its endorsement's activist draws from
        stream ``("decision", k, day)``)."""
        for cand in self.candidates:
            if cand.status != UNDECLARED or cand.scripted or self.day < cand.decision_day:
                continue
            side, why = cand.decide([float(x) for x in u[:, cand.index]])
            if side >= 0:
                self.endorse(cand.name, side, 1.0, self.streams.get("decision", cand.index, self.day), why=why)
            else:
                self.declare_neutral(cand.name, why=why)

    def make_offer(self, side: int, target: str, value: float, backlash: float, day: int) -> None:
        """Finalist ``side`` offers ``target`` (an eliminated candidate or a contractor) a deal."""
        by = self.finalists[side]
        stands = False
        for c in self.contractors:
            if c.name == target:
                stands = c.receive_offer(side, value, day)
        for cand in self.candidates:
            if cand.name == target:
                stands = cand.receive_offer(side, value, backlash, day)
        deliver = self.candidates[self.finalist_index[side]].deliver
        if stands:
            self.log(f"{by} offers {target} a deal (value {value:g}; {by} can deliver {deliver:.0%} of it)")
        else:
            self.log(f"{by}'s offer to {target} comes too late: {target} has decided")

    def make_deal(self, cand: Candidate, side: int) -> None:
        """``cand`` takes finalist ``side``'s standing offer: the deal binds its contractors'
        terms (:meth:`Contractor.offer_term`) and costs the offerer its objectors: a ``backlash``
        share of its activists (lowest keys of stream ``("deal", k, day)``) defect to the rival,
        and each of its round-1 voters who is not an activist objects with probability
        ``backlash`` and loses its cue (propensity x (1 - orphan_demobilisation))."""
        cand.deal = side
        offer = cand.offers[side]
        assert offer is not None, "a candidate takes only a deal it was offered"
        backlash = offer["backlash"]
        offerer, rival = self.finalist_index[side], self.finalist_index[1 - side]
        self.log(f"{cand.name} takes {self.finalists[side]}'s deal (value {offer['value']:g})")
        if backlash <= 0:
            return
        rng = self.streams.get("deal", cand.index, self.day)
        acts = self.engine.act_ids
        keys_act = rng.random(len(acts))
        keys_mem = rng.random(self.n)
        st = self.state
        eligible = np.flatnonzero(st.camp[acts] == offerer)
        count = int(round(backlash * len(eligible)))
        movers = eligible[np.argsort(keys_act[eligible], kind="stable")][:count]
        for k in movers:
            self.join_camp(int(acts[k]), rival)
        cooled = np.flatnonzero((st.r1 == offerer) & (st.camp < 0) & (keys_mem < backlash))
        self.engine.cool_members(cooled, self.params.orphan_demobilisation)
        self.log(f"backlash against {self.finalists[side]}'s deal with {cand.name}: {len(movers)} of its "
                 f"activists defect to {self.finalists[1 - side]}, {len(cooled)} of its voters lose their cue")

    def appeal(self, side: int, target: str, strength: float, reach: float, rng: np.random.Generator) -> None:
        """Finalist ``side`` appeals to ``target``'s round-1 voters: each is reached with
        probability ``reach`` (one draw per member) and moves as under an endorsement of
        ``strength``."""
        k = [c.name for c in self.candidates].index(target)
        reached = np.flatnonzero((self.state.r1 == k) & (rng.random(self.n) < reach))
        self.engine.endorse_members(reached, strength, side)
        self.log(f"{self.finalists[side]} appeals to {target}'s voters: decide for yourselves "
                 f"(reaches {len(reached)} members)")

    def change_affinity(self, target: str, side: int, delta: float, text: str) -> None:
        """Eliminated candidate ``target``'s affinity with finalist ``side`` moves by ``delta``
        (kept in -1..1); it matters only before the candidate decides."""
        cand = next(c for c in self.candidates if c.name == target)
        cand.affinity[side] = float(min(1.0, max(-1.0, cand.affinity[side] + delta)))
        late = "" if cand.status == UNDECLARED else f" (after {target} decided: no effect)"
        self.log(f"{text}: affinity now {cand.affinity[side]:+.2f}{late}")

    def defect_activists(self, i: int, ev: ActivistsDefect) -> None:
        """Move today's allotment of ``ev.source``'s activists (lowest seeded keys first)."""
        names = [c.name for c in self.candidates]
        src, tgt = names.index(ev.source), names.index(ev.target)
        camp = self.state.camp
        acts = self.engine.act_ids
        if i not in self._defections:
            keys = self.streams.get("event", i).random(len(acts))
            total = int(round(ev.share * int(np.sum(camp[acts] == src))))
            allot = largest_remainder(np.ones(ev.until - ev.day + 1), total)
            self._defections[i] = {"keys": keys, "allot": allot}
        sched = self._defections[i]
        count = int(sched["allot"][self.day - ev.day])
        eligible = np.flatnonzero(camp[acts] == src)
        movers = eligible[np.argsort(sched["keys"][eligible], kind="stable")][:count]
        for k in movers:
            self.join_camp(int(acts[k]), tgt)
        if count:
            self.log(f"{len(movers)} of {ev.source}'s activists move to {ev.target}")

    # ------------------------------------------------------------------ housekeeping
    def release(self) -> None:
        """Drop this model from Mesa 3.3's class-level ``Agent._ids`` registry (a leak fixed
        upstream in Mesa 3.4.2, a no-op there). Called by :func:`run`, by ``with`` and when the
        model is garbage-collected; harmless to call twice."""
        _release_mesa_registry(self)

    def __enter__(self) -> RunoffModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def run_together(models: list[RunoffModel]) -> list[RunResult]:
    """Run ``models`` to election day side by side, their member updates as columns of one state.

    Each day every model does its own events, decisions, contagion and canvassing (its own draws
    and state); then the models that share a graph (the same :class:`Edges` object, as runs
    made from one :class:`Prototypes` entry do) and their members' susceptibilities have their
    influence and turnout drift done together by the array engine's
    :meth:`~runoff_abm.model.influence.BoundedConfidence.update_columns`: one pass over the ties
    for all (numba), or one sparse mat-mat product for the propensities (numpy). Each model's
    result is bit-identical to running it alone (tests/test_speed.py). Others update alone.
    """
    from runoff_abm.model.engine import update_together

    for m in models:
        m._together = True
    try:
        while True:
            live = [m for m in models if m.running]
            if not live:
                break
            for m in live:
                m.step()
            held = [m for m in live if m._held is not None]
            update_together([m.engine for m in held])
            for m in held:
                t, m._held = m._held, None
                assert t is not None
                m._close_day(t)
    finally:
        for m in models:
            m._together = False
    return [m.result for m in models]  # type: ignore[misc]  # every model has voted
