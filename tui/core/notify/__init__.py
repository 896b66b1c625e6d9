"""Notifications: telling the on-call through PagerDuty, Slack and webhooks.

An alert change queues its notifications in the store in the same transaction
(`outbox`); a sender takes them out and delivers them over HTTP (`sender`), at least
once and never again after a 2xx, grouped per route and model the way Alertmanager
groups them (`deliver`). What is sent is built in `messages`; whether an alert is
held back (silenced, snoozed, kept for a digest) is one predicate in `held`.
"""
