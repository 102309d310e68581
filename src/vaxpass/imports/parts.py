"""Checking and loading a large file in parts side by side, to use every core.

The check is Python work: each part runs in a process of its own (forked, so it starts at
once with Django set up), reading the whole file and checking the rows of its part. The
load is database work: each part runs in a thread with its own connection, the database
doing the work. Parts hold disjoint people, so their loads never touch the same rows.

Parts run side by side only where other connections can see the batch: not inside a
transaction (as in most tests), not on an in-memory database.
"""

import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from django.db import connection, connections

PARALLEL_MIN_BYTES = 1 << 20  # smaller files are checked in one part: starting costs more
Progress = Callable[[int], None] | None


def side_by_side_possible() -> bool:
    if connection.in_atomic_block:
        return False
    return connection.vendor == "postgresql" or not connection.is_in_memory_db()


def parts_for(path: str | Path) -> int:
    """How many parts to check and load a file in: one per core (up to four) for a large
    file. Where they cannot run side by side they run one after the other."""
    if Path(path).stat().st_size < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


class PartFailed(RuntimeError):
    pass


def in_processes(work: Callable, parts: int, progress: Progress) -> list:
    """`work(part, report)` in one forked process per part; `report(n)` reaches `progress`
    here. Returns each part's result (which must pickle), in part order."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    connections.close_all()  # each process opens its own
    processes = [
        context.Process(target=_run_part, args=(work, part, queue), daemon=True)
        for part in range(parts)
    ]
    for process in processes:
        process.start()
    results: dict[int, object] = {}
    try:
        while len(results) < parts:
            kind, part, value = queue.get()
            if kind == "progress":
                if progress:
                    progress(value)
            elif kind == "done":
                results[part] = value
            else:
                raise PartFailed(f"part {part} of the check failed:\n{value}")
    finally:
        for process in processes:
            if process.is_alive() and len(results) < parts:
                process.kill()
            process.join()
    return [results[part] for part in range(parts)]


def _run_part(work: Callable, part: int, queue) -> None:
    parent = os.getppid()

    def report(n: int) -> None:
        if os.getppid() != parent:  # the parent was killed: stop, as it did
            os._exit(1)
        queue.put(("progress", part, n))

    try:
        result = work(part, report)
        queue.put(("done", part, result))
    except BaseException:
        queue.put(("failed", part, traceback.format_exc()))
    finally:
        connections.close_all()


def in_threads(work: Callable, parts: int) -> list:
    """`work(part)` in one thread per part, each with its own database connection.
    Returns each part's result in part order; re-raises the first failure."""
    results: list = [None] * parts
    failures: list[BaseException] = []

    def run(part: int) -> None:
        try:
            results[part] = work(part)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(part,)) for part in range(parts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return results
