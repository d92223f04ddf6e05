"""Supervisor interfaces that speak app_queue's AMI dialect (see docs/supervisor.md).

* :class:`AmiListener`: our own AMI server for supervisors' tools (QueueStatus,
  QueueSummary, app_queue's events, agent control and callback requests).
* :class:`QueueStatsPublisher`: per-queue ``UserEvent``s through Asterisk's own AMI.

Modules, one job each: ``config`` (users, limits), ``auth`` (plain and md5 login),
``eventmask`` (``Events:`` classes), ``actions`` (who may run what), ``session`` (one
connection), ``outbox`` (its bounded send queue), ``listener`` (accepting, event fan-out),
``members`` (agent state → member fields), ``queue_lists`` (QueueSummary/QueueStatus),
``queue_events`` (engine events → app_queue events), ``control`` (QueueAdd/QueueRemove/
QueuePause/AcdCallback), ``replies`` (responses), ``userevents`` (the publisher).
"""

from ivr_acd.supervisor.config import DEFAULT_PORT, AmiUser, ListenerConfig, Permission
from ivr_acd.supervisor.listener import AmiListener
from ivr_acd.supervisor.userevents import QueueStatsPublisher

__all__ = [
    "DEFAULT_PORT",
    "AmiListener",
    "AmiUser",
    "ListenerConfig",
    "Permission",
    "QueueStatsPublisher",
]
