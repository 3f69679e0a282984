# %% [markdown]
# # Solution 5 — Write your own member decision rule and plug it in

# %%
from pathlib import Path

import numpy as np

from runoff_abm.model.api import run
from runoff_abm.model.rng import replicate_seeds
from runoff_abm.model.rules import RuleError

here = Path(__file__).resolve().parent if "__file__" in globals() else Path("exercises/05-your-own-rule")
rules = here / "my_rules.py"
seeds = replicate_seeds(5, 4)

# %% [markdown]
# **Task 1.** `clan_vote` sends every Arab and Druze member who votes by preference to Peretz;
# everywhere else it returns the leaning, so with the same seed those sectors vote *exactly* as
# before. Turnout does not change (it is a choice rule). The only Yachimovich votes left in Arab
# and Druze localities come from bloc members who comply with a contractor instructing for her:
# a broker's instruction comes before a member's own preference.

# %%
for s in seeds:
    base = run("labor-2011", seed=s, members=10000)
    clan = run("labor-2011", seed=s, members=10000, rules={"choice": f"{rules}:clan_vote"})
    b, c = base.by_sector.set_index("sector"), clan.by_sector.set_index("sector")
    told = clan.by_bloc[clan.by_bloc["sector"].isin(["arab", "druze"])
                        & (clan.by_bloc["instruction"] == "Yachimovich")]["votes_Yachimovich"].sum()
    assert c.loc["arab", "votes_Yachimovich"] + c.loc["druze", "votes_Yachimovich"] == told
    for sector in ("kibbutz", "big city", "moshav", "development town"):
        assert c.loc[sector, "votes_Yachimovich"] == b.loc[sector, "votes_Yachimovich"]
    assert clan.turnout_votes == base.turnout_votes
    assert clan.shares["Peretz"] > base.shares["Peretz"]

# %% [markdown]
# **Task 2.** `habit_only` makes turnout exactly the round-1 turnout; `follow_the_neighbours`
# polarises choices toward local majorities.

# %%
r = run("labor-2011", seed=seeds[0], members=10000, rules={"turnout": f"{rules}:habit_only"})
round1_turnout = 1 - r.round1["abstained"] / r.members
print(f"turnout with habit_only: {r.turnout:.4f}; round-1 turnout {round1_turnout:.4f}")
assert r.turnout == round1_turnout
assert r.flows.loc["abstained", "abstained"] == r.round1["abstained"]

nb = [run("labor-2011", seed=s, members=10000, rules={"choice": f"{rules}:follow_the_neighbours"}) for s in seeds]
base = [run("labor-2011", seed=s, members=10000) for s in seeds]
spread_nb = np.mean([x.by_sector["share_Yachimovich"].std() for x in nb])
spread_base = np.mean([x.by_sector["share_Yachimovich"].std() for x in base])
print(f"spread of sector shares: {spread_base:.3f} default, {spread_nb:.3f} following neighbours")
assert spread_nb > spread_base           # local majorities amplify sector differences

# %% [markdown]
# **Task 3** is open. One example: bloc members always comply — written inline as a function.

# %%
def obedient(member):
    c = member.contractor
    if c is not None and c.instruction >= 0:
        return 1.0 if c.instruction == 0 else 0.0
    return member.leaning

ob = [run("labor-2011", seed=s, members=10000, rules={"choice": obedient}) for s in seeds]
bloc_share = [x.by_bloc.query("instruction == 'Peretz'")["votes_Yachimovich"].sum() for x in ob]
assert all(v == 0 for v in bloc_share)   # nobody in a Peretz-instructed bloc votes Yachimovich

# %% [markdown]
# **Task 4.** A typo gives one clear message naming the rule, the function, its file and line.

# %%
def typo(member):
    return member.leening

try:
    run("labor-2011", seed=1, members=500, rules={"choice": typo})
    raise AssertionError("the broken rule should have been reported")
except RuleError as err:
    print(err)
    assert "typo" in str(err) and "leening" in str(err)
