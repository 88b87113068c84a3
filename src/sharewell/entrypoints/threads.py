"""Running blocking work (the database) off the event loop, for the hottest request paths.

Starlette's `run_in_threadpool` goes through anyio (a capacity limiter, cancel scopes and
run-time variables on every call): on this project's machine about 50 µs of CPU a hand-off,
against about 21 µs for the event loop's own `run_in_executor` (docs/performance.md). The work
runs with a copy of the caller's context variables, as with Starlette's.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# As many as anyio's default limit for Starlette's pool: requests wait for their turn before
# they get here (the gatekeeper's admission), so few of these are busy at once. The pool starts
# threads only as work arrives.
THREADS = 40
_POOL = ThreadPoolExecutor(THREADS, thread_name_prefix="sharewell-request")


async def in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """`func(*args, **kwargs)` in a worker thread, awaited; its exception is raised here. If
    the awaiting request is cancelled, the work still runs to its end (the gate's audit entry
    is written whether or not anyone is still waiting)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_POOL, call)
