"""Budgets and alerts: spending limits with thresholds and a forecast, alert rules on a
project's cost, latency, errors and feedback, the incidents they fire (deduplicated,
acknowledged, silenced, resolved), and their delivery through the signed webhooks,
Slack-style channels and email.

Modules: ``schemas`` (request and response models), ``periods`` (budget periods and the
forecast), ``measure`` (the figures, from analytics' ``window_stats``), ``budgets``,
``rules``, ``channels`` (and the notification outbox), ``incidents`` (the state
machine), ``evaluate`` (the background step), ``metrics`` (Prometheus), ``demo``.
See docs/alerting.md.
"""
