"""Mesa agents of the runoff model: members, activists, poll contractors and candidates.

Members and activists are thin views over the model's state arrays (index = member id = graph
node), so the same state serves the per-agent reference engine, which calls the named behaviour
methods below one agent at a time, and the array engine, which applies the same rules to all
members at once. Contractors and candidates are few and keep their state on the agent.
"""

from runoff_abm.agents.activist import Activist
from runoff_abm.agents.candidate import Candidate
from runoff_abm.agents.contractor import Contractor
from runoff_abm.agents.member import Member

__all__ = ["Member", "Activist", "Contractor", "Candidate"]
