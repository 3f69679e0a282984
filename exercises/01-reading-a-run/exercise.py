# %% [markdown]
# # Exercise 1 — Reading a run and its flow matrix
#
# **Learning goal.** Read one simulated runoff: votes, shares, turnout, and above all the *flow
# matrix* (round-1 choice → runoff choice), and learn what one run can and cannot tell you.
#
# **The story.** On 12 September 2011, 44,184 of the Labor Party's 66,310 members voted in
# round 1: Yachimovich 14,203, Peretz 13,616, Herzog 10,848, Mitzna 5,244. Nine days later
# Yachimovich beat Peretz 22,299 to 18,769. Journalists computed a "net transfer": assuming every
# Yachimovich and Peretz voter came back and voted the same way, Yachimovich took about 61% of
# the Herzog + Mitzna vote that returned, *against* Mitzna's endorsement of Peretz. The model
# knows where every member went, so it can check that assumption.
#
# Open this file in Jupyter (with jupytext) or run it as a script: `python exercise.py`.

# %%
from runoff_abm.model.api import run

result = run("labor-2011", seed=1, members=10000)
print(result.format_text())

# %% [markdown]
# ## Tasks
#
# 1. Find, in the flow matrix, how many round-1 Herzog voters voted for each finalist and how
#    many stayed home. Do the same for Mitzna's voters.
# 2. Compute the *return rate* (share who voted again) of each round-1 group. Which group
#    returned least? Why might that be (think of habit, and of voters whose candidate is out)?
# 3. The journalists assumed that all finalist voters returned and stayed loyal. How far is that
#    from the model's flow matrix? Compute the model's "true" split of the returning Herzog +
#    Mitzna voters and compare with the 61:39 net figure.
# 4. Run the same with `seed=2` and `seed=3`. Which of your answers change, and by how much?
#    What does this say about conclusions drawn from a single run?

# %%
flows = result.flows                         # a pandas DataFrame
print(flows)
return_rate = 1 - flows["abstained"] / flows.sum(axis=1)
print(return_rate.round(3))
# TODO: compute the split of returning Herzog + Mitzna voters between the two finalists
