# %% [markdown]
# # Solution 3 — What contractor blocs can and cannot deliver

# %%
import numpy as np

from runoff_abm.model.api import run
from runoff_abm.model.rng import replicate_seeds

seeds = replicate_seeds(3, 6)


def herzog_blocs(**params):
    out = []
    for s in seeds:
        r = run("labor-2011", seed=s, members=10000, **params)
        b = r.by_bloc[r.by_bloc["patron"] == "Herzog"].set_index("contractor")
        out.append(b)
    return out


hi_c = herzog_blocs(contractor_compliance=0.95, contractor_capacity=0.9)
lo_c = herzog_blocs(contractor_compliance=0.5, contractor_capacity=0.9)
lo_cap = herzog_blocs(contractor_compliance=0.95, contractor_capacity=0.3)

# %% [markdown]
# **Task 1.** Compliance changes *how* bloc members vote, never *whether*: with the same seeds the
# blocs' turnout is identical, while the instructed finalist's share of the bloc falls.

# %%
def instructed_share(blocs):
    shares = []
    for b in blocs:
        for _, row in b[b["instruction"].isin(["Yachimovich", "Peretz"])].iterrows():
            got = row[f"votes_{row['instruction']}"]
            total = row["votes_Yachimovich"] + row["votes_Peretz"]
            shares.append(got / total)
    return np.mean(shares)

for a, b in zip(hi_c, lo_c, strict=True):
    assert (a["turnout"] == b["turnout"]).all()
print(f"instructed finalist's share of the bloc vote: {instructed_share(hi_c):.1%} at compliance 0.95, "
      f"{instructed_share(lo_c):.1%} at 0.5")
# the fall is smaller than 0.95 - 0.5: members who do not comply vote their own leaning, and a
# contractor usually instructs for the finalist its bloc already leans to (its choice weighs the
# bloc's leaning). What a bloc cannot deliver is votes *against* its members' preferences.
assert instructed_share(hi_c) > instructed_share(lo_c) + 0.08

# %% [markdown]
# **Task 2.** Capacity is turnout: lowering it empties the active blocs' polling stations.

# %%
def active_turnout(blocs):
    return np.mean([b[b["instruction"] != "none"]["turnout"].mean() for b in blocs])

print(f"turnout of active Herzog blocs: {active_turnout(hi_c):.1%} at capacity 0.9, {active_turnout(lo_cap):.1%} at 0.3")
assert active_turnout(hi_c) > active_turnout(lo_cap) + 0.15

# %% [markdown]
# **Task 3.** Turnout is observable (who came), the vote is secret: capacity can be verified and
# paid for; compliance only to the extent the ballot is monitored. A machine that sees only
# turnout buys turnout of its own supporters (Nichter 2008).
#
# **Task 4.** Net votes delivered by `herzog-development` (600 members on the real roll) to the
# finalist it instructs, as a share of its bloc, at two compliance levels.

# %%
def net_delivered(compliance):
    vals = []
    for s in seeds:
        r = run("labor-2011", seed=s, members=10000, contractor_compliance=compliance)
        row = r.by_bloc.set_index("contractor").loc["herzog-development"]
        if row["instruction"] in ("Yachimovich", "Peretz"):
            other = "Peretz" if row["instruction"] == "Yachimovich" else "Yachimovich"
            vals.append((row[f"votes_{row['instruction']}"] - row[f"votes_{other}"]) / row["members"])
    return np.mean(vals)

d6, d9 = net_delivered(0.6), net_delivered(0.9)
print(f"net votes per bloc member: {d6:.2f} at compliance 0.6, {d9:.2f} at 0.9")
assert 0 < d6 < d9 < 1
