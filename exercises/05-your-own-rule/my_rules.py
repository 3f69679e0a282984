"""Your decision rules for Exercise 5. Each function gets one member and returns a probability.

Available on ``member``: leaning (P(vote A) by own preference), propensity (own P(vote)),
susceptibility, round1 (a candidate's name, "blank" or "abstained"), sector, contractor (None or
the bloc's Contractor: .instruction 0/1/-1, .compliance, .capacity, .patron_name), index,
neighbours() (member ids), model (the whole RunoffModel: model.state.leaning[j] etc.).
"""


def clan_vote(member):
    """Choice rule: members in Arab and Druze localities vote with the locality (Peretz is B)."""
    if member.sector in ("arab", "druze"):
        return 0.0
    return member.leaning


def follow_the_neighbours(member):
    """Choice rule: vote like the majority of your ties (a stronger form of social influence)."""
    lean = member.model.state.leaning
    ties = member.neighbours()
    if len(ties) == 0:
        return member.leaning
    return float((lean[ties] > 0.5).mean())


def habit_only(member):
    """Turnout rule: round-1 voters vote, round-1 abstainers do not."""
    return 0.0 if member.round1 == "abstained" else 1.0
