"""`in_thread`: blocking work off the event loop, with the caller's context."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

from sharewell.entrypoints.threads import in_thread

_who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


def _where(label: str, *, suffix: str = "") -> tuple[str, str, str]:
    return label + suffix, threading.current_thread().name, _who.get()


def test_runs_the_work_in_a_worker_thread_with_the_callers_context() -> None:
    async def main() -> tuple[str, str, str]:
        _who.set("dr-gp")
        return await in_thread(_where, "record", suffix="-read")

    label, thread, who = asyncio.run(main())
    assert label == "record-read"
    assert thread != threading.current_thread().name
    assert thread.startswith("sharewell-request")
    assert who == "dr-gp"


def test_the_works_own_changes_to_the_context_stay_in_the_thread() -> None:
    def change() -> None:
        _who.set("changed")

    async def main() -> str:
        _who.set("caller")
        await in_thread(change)
        return _who.get()

    assert asyncio.run(main()) == "caller"


def test_raises_the_works_exception_to_the_caller() -> None:
    def fail() -> None:
        raise LookupError("no such person")

    with pytest.raises(LookupError, match="no such person"):
        asyncio.run(in_thread(fail))


def test_many_at_once_all_answer() -> None:
    async def main() -> list[int]:
        return list(await asyncio.gather(*(in_thread(pow, n, 2) for n in range(100))))

    assert asyncio.run(main()) == [n * n for n in range(100)]
