# %% [markdown]
# # Exercise 5 — Write your own member decision rule and plug it in
#
# **Learning goal.** Replace one behavioural rule of the model with your own, without touching
# the package, and measure what it changes. This is how you test a mechanism: change one rule,
# keep everything else (and the random numbers) fixed.
#
# **The story.** Observers of the 2011 runoff saw whole localities vote as one: in two
# neighbouring Arab localities Peretz took 137 of 139 ballots. Is that clan voting, contractor
# discipline, or both? The model's default says a member votes for finalist A with probability
# equal to its *leaning*. Write a rule that says something else.
#
# A rule is a function of one member returning a probability (`docs/teaching.md`):
# - `choice`: probability of voting for finalist A (Yachimovich) when voting by own preference;
# - `turnout`: probability of voting at all.
# Plug it in with `run(..., rules={"choice": my_function})`, with
# `runoff run --rule choice=my_rules.py:clan_vote`, or in a scenario: `[rules] choice = "my_rules.py:clan_vote"`.

# %%
from pathlib import Path

from runoff_abm.model.api import run

here = Path(__file__).resolve().parent if "__file__" in globals() else Path("exercises/05-your-own-rule")
rules_file = here / "my_rules.py"

base = run("labor-2011", seed=5, members=10000)
clan = run("labor-2011", seed=5, members=10000, rules={"choice": f"{rules_file}:clan_vote"})
print(base.by_sector[["sector", "share_Yachimovich"]])
print(clan.by_sector[["sector", "share_Yachimovich"]])

# %% [markdown]
# ## Tasks
#
# 1. Read `clan_vote` in `my_rules.py`. Predict what changes in the sector table and what does
#    not, then check. Why are some sectors' results identical to the last vote?
# 2. Try `follow_the_neighbours` (a choice rule) and `habit_only` (a turnout rule). What do
#    they do to turnout and to the share?
# 3. Write your own rule — e.g. "members of a contractor's bloc vote as instructed with
#    certainty", or "Herzog's voters in the big cities vote Yachimovich". State your prediction
#    first; then measure it over several seeds.
# 4. Break your rule on purpose (a typo in an attribute name). What does the error say?
