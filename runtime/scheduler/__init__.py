"""The runtime scheduler: decides when each task of a plan starts, independent of how tasks run.

``graph`` (the tasks and their ``after`` graph), ``resources`` (the mechanism: capacities, atomic
acquisition, wait queues, reservations), ``policy`` (the order of ready tasks, patience, the lower
bound), ``core`` (the loop and its workers). The task-status vocabulary is ``runtime.status``.
"""

from ..status import TaskEvent, TaskOutcome, TaskRecord, TaskStatus
from .core import Scheduler, ScheduleResult
from .graph import SchedTask
from .policy import lower_bound

__all__ = [
    "SchedTask",
    "ScheduleResult",
    "Scheduler",
    "TaskEvent",
    "TaskOutcome",
    "TaskRecord",
    "TaskStatus",
    "lower_bound",
]
