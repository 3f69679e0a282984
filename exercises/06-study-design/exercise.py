# %% [markdown]
# # Exercise 6 — Design a parameter study and a sensitivity analysis, and report it
#
# **Learning goal.** Treat an experiment as data: a spec that names what varies, over which
# ranges, with how many replicates and which seed; run it; screen which parameters matter
# (Morris elementary effects); report with intervals. This is research practice with the model
# (Grimm et al. 2005 on pattern-oriented modelling; Saltelli et al. on sensitivity analysis).
#
# **The story.** The record cannot tell us how obedient Herzog's contractors were, how habitual
# the members' turnout was, or how much an endorsement moves a voter. Before calibrating any of
# these (Exercise/ODD §10), a modeller asks which of them the runoff is *sensitive* to at all.
#
# In the app: `?exercise=study-design` (the replicate view).

# %%
import tempfile

from runoff_abm.studies import parse_spec, run_sweep
from runoff_abm.studies.analysis import format_sensitivity, sensitivity
from runoff_abm.studies.store import Store

spec = parse_spec({
    "name": "exercise-6", "scenario": "labor-2011", "members": 3000, "replicates": 2, "seed": 6,
    "design": {"kind": "morris", "samples": 6, "levels": 4},
    "parameters": {
        "habit_voter": {"low": 0.8, "high": 1.0},
        "contractor_compliance": {"low": 0.5, "high": 1.0},
        "endorsement_trust": {"low": 0.05, "high": 0.5},
        "kingmaker_value": {"low": 0.0, "high": 1.0},
    },
    "outcomes": ["share_a", "turnout"],
})
out = tempfile.mkdtemp() + "/study"
run_sweep(spec, out, executor="serial", progress=False)
table = sensitivity(out)
print(format_sensitivity(table, Store(out).manifest()))

# %% [markdown]
# ## Tasks
#
# 1. Which parameter matters most for turnout? For Yachimovich's share? Is the answer the same?
# 2. `kingmaker_value` gets mu* = 0 exactly. Why exactly zero, not just small? (Hint: are there
#    eliminated candidates in `labor-2011` who decide by the model, or are both declarations
#    scripted from the record? And what do common random numbers do?)
# 3. Write the same study as a TOML spec file and run it with `runoff sweep SPEC --out DIR` and
#    `runoff sensitivity DIR`. Kill it halfway (Ctrl-C) and run the command again: what happens?
# 4. Design a factorial follow-up on the two most important parameters with 30 replicates per
#    point, run it, and report Yachimovich's win probability with 95% intervals
#    (`runoff analyze DIR`). Write three sentences a journalist could quote, with the numbers.
