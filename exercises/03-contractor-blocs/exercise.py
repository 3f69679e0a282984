# %% [markdown]
# # Exercise 3 — What contractor blocs can and cannot deliver
#
# **Learning goal.** Separate two things a vote broker sells: *turnout* (bringing people to the
# polls: the contractor's `capacity`) and *votes* (making them vote as told: `compliance`, which
# depends on monitoring a secret ballot). See Nichter (2008) on turnout buying, Stokes et al.
# (2013) on brokers who cannot watch the ballot.
#
# **The story.** "Many of Herzog's supporters are based on poll contractors or groups that vote
# en bloc as they are instructed." In one town 527 members were registered against 197 Labor
# votes in the last national election. When Herzog declared neutrality, his contractors were
# free agents. In two neighbouring Arab localities Peretz took 137 of 139 ballots; a third split
# 65 to 80.
#
# In the app: `?exercise=contractor-blocs`.

# %%
from runoff_abm.model.api import run

for compliance, capacity in [(0.95, 0.9), (0.5, 0.9), (0.95, 0.3)]:
    r = run("labor-2011", seed=4, members=10000, contractor_compliance=compliance, contractor_capacity=capacity)
    herzog = r.by_bloc[r.by_bloc["patron"] == "Herzog"]
    print(f"compliance {compliance}, capacity {capacity}:")
    print(herzog[["contractor", "instruction", "members", "turnout", "votes_Yachimovich", "votes_Peretz"]])

# %% [markdown]
# ## Tasks
#
# 1. With the same seed, change only `contractor_compliance`. What happens to the turnout of
#    Herzog's blocs? To their vote split? Explain with the election-day rule in `docs/ODD.md`.
# 2. Change only `contractor_capacity`. Same questions.
# 3. Which of the two can a broker guarantee without watching the ballot? Which one would a
#    party buy if it could only see *who* voted, not *how* (Nichter 2008)?
# 4. Use replicates (several seeds) to estimate how many votes, net, a Herzog contractor of 600
#    members delivers to the finalist it instructs for, at compliance 0.6 and at 0.9.
