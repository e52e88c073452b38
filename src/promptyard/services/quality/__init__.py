"""Prompt intelligence: quality rules, security scanning and scores.

``engine`` runs the rules (collected from plugins onto ``Core.quality_rules``) over one
content; ``findings`` serves stored versions, unsaved content and project reports;
``gate.install`` (called by :func:`promptyard.wiring.build_core`) adds the
``no_high_severity_findings`` quality gate.
"""
