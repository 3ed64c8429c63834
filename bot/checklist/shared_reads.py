"""Identical reads at the same moment share one: fifty people asking for one channel's checklist at once
cost the database (and the interpreter, which the chat's acknowledgements wait for) one read, not fifty.

A read joins one already under way only while nothing was written through this process's sessions since that
one began, so nobody ever gets an answer older than a change they could have seen. (A change made elsewhere,
by another replica, is seen as any read sees it: from the moment the read starts.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


class SharedReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._lock = threading.Lock()
        self._writes = 0  # commits through `sessions` so far
        self._flights: dict[Hashable, tuple[int, Future[Any]]] = {}
        event.listen(sessions, "after_commit", self._written)

    def _written(self, _session: Session) -> None:
        with self._lock:
            self._writes += 1

    def read(self, key: Hashable, read: Callable[[], T]) -> T:
        """`read()`, or the result of the same read already under way when nothing was written since."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None or flight[0] != self._writes
            if flight is not None and not leader:
                future = flight[1]
            else:
                future = Future()
                self._flights[key] = (self._writes, future)
        if not leader:
            shared: T = future.result()
            return shared
        try:
            value = read()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        finally:
            with self._lock:
                if self._flights.get(key, (0, None))[1] is future:
                    del self._flights[key]
        future.set_result(value)
        return value
