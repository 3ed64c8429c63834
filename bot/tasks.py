"""Work that goes on after a chat platform has its acknowledgement.

Slack wants an answer within 3 seconds and Teams within a few; checks take longer. Listeners ack at once
and hand the rest to `BackgroundTasks`, which keeps a reference to every task (asyncio only keeps weak
ones), logs failures that escaped, and lets shutdown and tests wait until everything has finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class BackgroundTasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Preflight background work %r failed", task.get_name(), exc_info=task.exception())

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def idle(self, timeout: float = 60.0) -> None:
        """Wait until nothing runs, including work started by work; TimeoutError after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"{len(self._tasks)} background tasks still running after {timeout}s")
            await asyncio.wait(set(self._tasks), timeout=remaining)

    async def close(self, timeout: float = 30.0) -> None:
        """Let running work finish (a check half-way through is worth finishing), then cancel the rest."""
        try:
            await self.idle(timeout)
        except TimeoutError:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
