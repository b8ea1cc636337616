"""Where independent work runs: one ``concurrent.futures.Executor`` seam for the roster's
scorers, the attack bench's cells and the analysis's re-scores.

``open_executor("serial" | "threads:N" | "processes:N" | "dask:...")`` builds the executor;
``run_graph`` runs a graph of named tasks on it (dependencies first, the first failure
ends the run with the task's name); ``artifacts`` writes the shared inputs of a run to a
work directory that every worker reads by path. Nothing here knows about scoring.
"""

from bridgewatch.parallel.executors import (
    EXECUTOR_HELP,
    ExecutorSpec,
    SerialExecutor,
    executor_scope,
    in_process,
    on_this_host,
    open_executor,
    parse_executor,
    task_slots,
)
from bridgewatch.parallel.graph import Task, TaskFailed, run_graph
from bridgewatch.parallel.pinning import pin_threads

__all__ = [
    "EXECUTOR_HELP",
    "ExecutorSpec",
    "SerialExecutor",
    "Task",
    "TaskFailed",
    "executor_scope",
    "in_process",
    "on_this_host",
    "open_executor",
    "parse_executor",
    "pin_threads",
    "run_graph",
    "task_slots",
]
