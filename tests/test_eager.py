"""``start_task``: a task whose first step ran on the caller's stack, then goes on as any task."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from supervisor.eager import start_task

where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="caller")


async def test_the_first_step_runs_before_start_task_returns_and_the_rest_in_the_task() -> None:
    steps: list[str] = []
    gate: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def work() -> str:
        steps.append("first")
        got = await gate
        steps.append(got)
        return got.upper()

    task = start_task(work())
    assert steps == ["first"]
    gate.set_result("second")
    assert await task == "SECOND"
    assert steps == ["first", "second"]


async def test_the_first_step_sets_context_variables_for_the_task_only() -> None:
    async def work() -> str:
        where.set("task")
        await asyncio.sleep(0)
        return where.get()

    task = start_task(work())
    assert where.get() == "caller"
    assert await task == "task"


async def test_a_coroutine_done_in_its_first_step_gives_its_value_or_its_error() -> None:
    async def done() -> int:
        return 7

    async def failing() -> None:
        raise ValueError("at once")

    assert await start_task(done()) == 7
    with pytest.raises(ValueError, match="at once"):
        await start_task(failing())


async def test_cancelling_the_task_reaches_the_coroutine_where_it_waits() -> None:
    seen: list[str] = []

    async def work() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            seen.append("cancelled")
            raise

    task = start_task(work())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == ["cancelled"]
