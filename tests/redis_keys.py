"""Cleaning up after a test that used a real Redis with its own key prefix (tag)."""

from __future__ import annotations

import redis


def delete_tagged(client: redis.Redis, tag: str) -> None:
    """Delete the keys carrying ``tag`` (queues, registries, cache and rate-limit keys), the RQ
    jobs of those queues (``rq:job:<id>`` and what is named after the id), and take the queues
    out of RQ's set of queue names."""
    doomed = list(client.scan_iter(match=f"*{tag}*", count=1000))
    for key in client.scan_iter(match="rq:job:*", count=1000):
        origin = client.hget(key, "origin")
        if origin and origin.decode().startswith(tag):
            doomed.append(key)
            job_id = key.decode().removeprefix("rq:job:")
            doomed += list(client.scan_iter(match=f"rq:*{job_id}*", count=1000))
    if doomed:
        client.delete(*set(doomed))
    queues = [name for name in client.smembers("rq:queues") if tag.encode() in name]
    if queues:
        client.srem("rq:queues", *queues)
