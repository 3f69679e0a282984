# %% [markdown]
# # Exercise 4 — Networks and activist defection cascades
#
# **Learning goal.** See the difference between *simple* contagion (one contact is enough) and
# *complex* contagion (an activist switches only after `contagion_threshold` >= 2 fellow
# activists have: Centola & Macy 2007; Centola 2010), and how the density of the activists' own
# network decides whether a cascade runs.
#
# **The story.** On 14 September, two days after round 1, "some Mitzna activists announce they
# have already joined the Peretz or the Yachimovich camp; Mitzna's Haifa campaign head goes to
# Yachimovich" — before Mitzna himself decided anything. Activists of an eliminated candidate are
# *orphaned*; in the model they join a finalist's camp by contagion over the activist network.
#
# We use `labor-2011-no-events` so that no scheduled defection muddies the picture.
# In the app: `?exercise=activist-cascades`.

# %%
import numpy as np

from runoff_abm.model.runoff import RunoffModel


def switched(threshold, camp_ties, seed=1):
    m = RunoffModel(scenario="labor-2011-no-events", seed=seed, members=10000,
                    contagion_threshold=threshold, activist_camp_ties=camp_ties)
    acts = np.flatnonzero(m.state.camp >= 0)
    orphans = acts[~np.isin(m.state.camp[acts], m.finalist_index)]
    m.run()
    return float(np.isin(m.state.camp[orphans], m.finalist_index).mean())


print("share of orphaned activists in a finalist's camp by election day")
for k in (1, 2, 3):
    print(f"threshold {k}:", [round(switched(k, ties), 2) for ties in (2, 4, 8)], "(camp ties 2, 4, 8)")

# %% [markdown]
# ## Tasks
#
# 1. Describe how the share that switches depends on the threshold and on the number of camp
#    ties. Where does a cascade fail?
# 2. Why does a sparse network stop complex contagion much more than simple contagion?
# 3. Look at `model.event_log` day by day: how fast does each cascade run?
# 4. Switching camps matters because activists canvass. Compare Yachimovich's share between a
#    setting where cascades run and one where they stall (use several seeds).
