"""Recovery of prompt state: a prompt, a project or every project of a workspace as it
was at a given time, rebuilt from the version history and the label events
(:mod:`promptyard.services.recovery.point_in_time`).

Its own capability because it drives the prompt services (rollbacks, label moves,
deletes) the way a person would, and ``prompts`` itself records to ``operations``' audit
trail: living in ``operations`` would make the two import each other.
"""
