# %% [markdown]
# # Solution 2 — One counterfactual, with uncertainty

# %%
import math

import numpy as np

from runoff_abm.model.api import run
from runoff_abm.model.rng import replicate_seeds

seeds = replicate_seeds(2011, 20)
arms = {name: [run(scn, seed=s, members=8000) for s in seeds] for name, scn in {
    "neutral": "labor-2011",
    "deal": "labor-2011-herzog-endorses-yachimovich",
    "endorses_peretz": "labor-2011-herzog-endorses-peretz"}.items()}


def wilson(k, n, z=1.96):
    p = k / n
    den = 1 + z * z / n
    c = (p + z * z / (2 * n)) / den
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return c - h, c + h


share = {k: np.array([r.shares["Yachimovich"] for r in v]) for k, v in arms.items()}
wins = {k: sum(r.winner == "Yachimovich" for r in v) for k, v in arms.items()}
for k in arms:
    lo, hi = wilson(wins[k], len(seeds))
    print(f"{k:<16} share {share[k].mean():.3f}  P(Y wins) {wins[k] / len(seeds):.2f} [{lo:.2f}, {hi:.2f}]")

# %% [markdown]
# **Tasks 1-2.** The deal raises Yachimovich's share in *every* replicate: common random numbers
# pair the runs, so the sign is never in doubt. The size of the effect still varies between
# replicates: Herzog's contractors choose by a random (logit) rule, and the endorsement tips
# some of them one way in one replicate and another way in the next: the effect itself is
# heterogeneous, not just measured with noise.

# %%
d = share["deal"] - share["neutral"]
print(f"paired difference: mean {d.mean():+.4f}, sd {d.std(ddof=1):.4f}, range [{d.min():+.4f}, {d.max():+.4f}]")
assert (d > 0).all()
assert wins["deal"] >= wins["neutral"]
deal_contractors = np.mean([(r.by_bloc.query("patron == 'Herzog'")["instruction"] == "Yachimovich").mean()
                            for r in arms["deal"]])
neutral_contractors = np.mean([(r.by_bloc.query("patron == 'Herzog'")["instruction"] == "Yachimovich").mean()
                               for r in arms["neutral"]])
print(f"Herzog's contractors instructing for Yachimovich: {neutral_contractors:.0%} neutral, {deal_contractors:.0%} deal")
assert deal_contractors > neutral_contractors

# %% [markdown]
# **Task 3.** Herzog endorsing Peretz lowers Yachimovich's share in every replicate and her win
# probability; whether it makes Peretz the favourite is read off the computed probability.

# %%
dp = share["endorses_peretz"] - share["neutral"]
assert (dp < 0).all()
assert wins["endorses_peretz"] < wins["neutral"]
p_peretz = 1 - wins["endorses_peretz"] / len(seeds)
print(f"P(Peretz wins | Herzog endorses Peretz) = {p_peretz:.2f}:",
      "Peretz the favourite" if p_peretz > 0.5 else "Yachimovich still the favourite")

# %% [markdown]
# **Task 4.** One run per arm, *unpaired* (different seeds), can report very different effects.

# %%
unpaired = share["deal"][:, None] - share["neutral"][None, :]
print(f"one-run-per-arm estimates range from {unpaired.min():+.3f} to {unpaired.max():+.3f}; "
      f"the mean effect is {d.mean():+.3f}")
assert unpaired.max() - unpaired.min() > d.max() - d.min()
assert unpaired.min() < 0.5 * d.mean() or unpaired.max() > 1.5 * d.mean()   # one run can be far off
