# %% [markdown]
# # Exercise 2 — One counterfactual, with uncertainty: what if Herzog had taken the deal?
#
# **Learning goal.** Compare a historical scenario with a counterfactual the right way: many
# replicates, the *same* seeds in both arms (common random numbers), and intervals, not one run.
#
# **The story.** Between the rounds Yachimovich was expected to offer Herzog the No. 2 slot and
# a share of the leadership. On the night of 17 September Herzog declared neutrality instead:
# his kibbutz and big-city supporters would balk at Peretz, his Arab and Druze supporters at
# Yachimovich, and many would not have followed him anyway. What if he had said yes — or
# endorsed Peretz?
#
# Built-in scenarios: `labor-2011` (neutral), `labor-2011-herzog-endorses-yachimovich`,
# `labor-2011-herzog-endorses-peretz`. In the app: `?exercise=herzog-deal`.

# %%
from runoff_abm.model.api import run
from runoff_abm.model.rng import replicate_seeds

seeds = replicate_seeds(2011, 20)       # the same 20 seeds for every scenario
history = [run("labor-2011", seed=s, members=8000) for s in seeds]
deal = [run("labor-2011-herzog-endorses-yachimovich", seed=s, members=8000) for s in seeds]
print("neutral:", [round(r.shares["Yachimovich"], 3) for r in history][:5], "...")
print("deal:   ", [round(r.shares["Yachimovich"], 3) for r in deal][:5], "...")

# %% [markdown]
# ## Tasks
#
# 1. Compute Yachimovich's win probability in each arm, with a 95% interval (e.g. Wilson).
# 2. Compute the *paired* difference of her share (deal − neutral) replicate by replicate. Is its
#    sign ever in doubt? Its size still varies: which mechanism makes the *effect itself* differ
#    between replicates? (Hint: look at `result.by_bloc` for Herzog's contractors.)
# 3. Add the third arm (Herzog endorses Peretz). Does it make Peretz the favourite?
# 4. A newspaper runs the model once for each arm and reports "the deal was worth X points".
#    How wrong could X be? Use your replicates to say.
