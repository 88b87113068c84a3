"""`in_thread`: blocking work off the event loop, with the caller's context."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from sharewell.entrypoints.threads import in_thread

_who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
T = TypeVar("T")


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """`asyncio.run(main())` in a thread of its own: a browser test earlier in this process
    leaves Playwright's event loop running in the main thread, where asyncio.run refuses."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(main())).result()


def _where(label: str, *, suffix: str = "") -> tuple[str, str, str]:
    return label + suffix, threading.current_thread().name, _who.get()


def test_runs_the_work_in_a_worker_thread_with_the_callers_context() -> None:
    async def main() -> tuple[str, str, str]:
        _who.set("dr-gp")
        return await in_thread(_where, "record", suffix="-read")

    label, thread, who = _run(main)
    assert label == "record-read"
    assert thread.startswith("sharewell-request")
    assert who == "dr-gp"


def test_the_works_own_changes_to_the_context_stay_in_the_thread() -> None:
    def change() -> None:
        _who.set("changed")

    async def main() -> str:
        _who.set("caller")
        await in_thread(change)
        return _who.get()

    assert _run(main) == "caller"


def test_raises_the_works_exception_to_the_caller() -> None:
    def fail() -> None:
        raise LookupError("no such person")

    async def main() -> None:
        await in_thread(fail)

    with pytest.raises(LookupError, match="no such person"):
        _run(main)


def test_many_at_once_all_answer() -> None:
    async def main() -> list[int]:
        return list(await asyncio.gather(*(in_thread(pow, n, 2) for n in range(100))))

    assert _run(main) == [n * n for n in range(100)]
