"""Work on every core: a process pool whose workers ignore Ctrl-C, fed in chunks, in order.

Used for parsing front matter (`sources`) and rendering pages (`pages`). Few items are done in
this process: starting workers costs more.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from functools import partial
from multiprocessing.pool import Pool
from typing import Any, TypeVar

# Below this many pages to render, one process is as fast as starting workers (measured with
# bench/generate.py pages on 2 cores: at 12 pages one process wins, at 24 they are even, at 48
# two processes take a quarter less time).
PARALLEL_THRESHOLD = 24
T = TypeVar("T")
R = TypeVar("R")
J = TypeVar("J")
CHUNKS_PER_WORKER = 8
MAX_CHUNK = 64


def worker_count() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_in_workers(
    make: Callable[[J], Callable[[T], R]],
    job: J,
    items: Sequence[T],
    processes: int,
    last: Callable[[R], bool],
) -> Iterator[R]:
    """`make(job)(item)` for every item, in order, on `processes` processes (here, if that is
    faster), stopping after the first result for which `last` is true. `make` and `last` must
    pickle (module-level functions): each worker calls `make(job)` once, when it starts."""
    with frozen():
        if processes <= 1 or len(items) < PARALLEL_THRESHOLD:
            run = make(job)
            for item in items:
                result = run(item)
                yield result
                if last(result):
                    return
            return
        size = max(1, min(MAX_CHUNK, len(items) // (processes * CHUNKS_PER_WORKER)))
        chunks = [items[start : start + size] for start in range(0, len(items), size)]
        with ExitStack() as stack:
            pool = start_pool(stack, processes, _start_worker, (make, job))
            for results in pool.imap(partial(_run_chunk, last), chunks):
                yield from results
                if any(map(last, results)):
                    return  # leaving the pool stops the workers still working


@contextmanager
def frozen() -> Iterator[None]:
    """The objects alive now, frozen out of the cyclic garbage collector while work runs.

    Markdown makes many short-lived objects, and every full collection would walk the whole
    site again (7-10% of a 10,000-page build). Frozen before forking, the parent's objects also
    stay shared with the workers: a collection in a worker would otherwise touch every one of
    them and copy the memory they live in."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def start_pool(
    stack: ExitStack,
    processes: int,
    initializer: Callable[..., None] | None,
    initargs: tuple[Any, ...],
) -> Pool:
    """A process pool, closed with `stack`, whose workers ignore Ctrl-C.

    Ctrl-C reaches every process of the terminal's group; workers that took it would each print
    a traceback. It stays blocked while they start (so none can arrive before they ignore it),
    and the parent alone stops the build: leaving the pool terminates them."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        context = multiprocessing.get_context(start_method())
        initial = (initializer, *initargs)
        return stack.enter_context(context.Pool(processes, _start_quietly, initial))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _start_quietly(initializer: Callable[..., None] | None, *initargs: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if initializer is not None:
        initializer(*initargs)


def map_in_chunks(function: Callable[[T], R], items: Sequence[T], processes: int) -> list[R]:
    """`[function(item) for item in items]`, on `processes` processes when there are many items.

    `function` must pickle (a module-level function or a partial of one)."""
    if processes <= 1 or len(items) < PARALLEL_THRESHOLD * 4:
        return [function(item) for item in items]
    size = max(1, min(MAX_CHUNK * 4, len(items) // (processes * CHUNKS_PER_WORKER)))
    chunks = [items[start : start + size] for start in range(0, len(items), size)]
    with frozen(), ExitStack() as stack:
        pool = start_pool(stack, processes, None, ())
        done = pool.imap(partial(_apply, function), chunks)
        return [result for chunk in done for result in chunk]


def _apply(function: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [function(item) for item in items]


def start_method() -> str:
    """Fork is fastest (nothing to re-import or pickle), but only safe with no other threads."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


# The one piece of module state: each worker process's own function, set by the pool initializer
# in that process only (never in the parent), because a Pool can pass state no other way.
_WORKER: dict[str, Callable[[Any], Any]] = {}


def _start_worker(make: Callable[[J], Callable[[T], R]], job: J) -> None:
    _WORKER["run"] = make(job)
    gc.freeze()


def _run_chunk(last: Callable[[R], bool], items: Sequence[T]) -> list[R]:
    run, results = _WORKER["run"], []
    for item in items:
        results.append(run(item))
        if last(results[-1]):
            break
    return results
