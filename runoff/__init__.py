"""runoff-abm: an agent-based model of a party-leadership runoff (Mesa + networkx).

The packages of the project: ``model`` (the core), ``agents`` (Mesa agents), ``scenarios``
(scenario files and their loader), ``viz`` (the app) and ``runoff`` (this package: version and
command-line interface).
"""

__version__ = "0.1.0"
