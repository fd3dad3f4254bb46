"""Background work: in-process by default, through a Redis queue (RQ) when REDIS_URL is set.

``dispatch("module.path:function", *args, key=...)`` runs the job. Without a queue it runs the
function at once, in the calling process (as every job ran before step 8). The function is given
by its import path so that a queue worker can import it; ``key`` names the job so that the same
job dispatched twice runs once while it is waiting.
"""

from __future__ import annotations

from importlib import import_module


def queue_enabled() -> bool:
    """True when jobs go through the Redis queue (REDIS_URL set); stub until step 8's jobs land."""
    return False


def resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def dispatch(target: str, *args, key: str | None = None, **kwargs):
    """Run ``target(*args, **kwargs)`` now (no queue configured)."""
    return resolve(target)(*args, **kwargs)
