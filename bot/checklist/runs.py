"""Running a checklist's checks: one run at a time per checklist, handed to the workers, then its state."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.checklist.connections import FinaleConnectionData, QboConnectionData
from bot.checklist.status import StatusReads
from bot.checklist.views import Actor, ChecklistStatus, ChecklistView
from bot.checklist.workers import CheckJob, RunReport, describe
from checks.answers import Answers
from checks.registry import CheckSpec
from checks.sources.loader import LoadPlan
from storage import models as db
from storage.repositories import checklists, runs

log = logging.getLogger(__name__)


class Runs(StatusReads):
    async def run_checks(
        self, checklist_id: int, actor: Actor | None, slugs: Sequence[str] | None = None
    ) -> ChecklistStatus:
        specs = self.registry.select(slugs)
        lock = self._run_locks.setdefault(checklist_id, asyncio.Lock())
        async with lock:
            view, answers, qbo_data, finale_data = await asyncio.to_thread(self._run_inputs, checklist_id)
            plan = LoadPlan(
                needs=self.registry.needs(specs, answers),
                today=answers.today,
                enable_date=view.enable_date,
                enable_date_decided=view.enable_date_decided,
            )
            # QBO allows 10 requests a second per company, and each worker paces only its own: two checklists
            # on the same books (two channels, say) take turns.
            realm = qbo_data.realm_id if qbo_data is not None else f"checklist {checklist_id}"
            async with self._realm_locks.setdefault(realm, asyncio.Lock()):
                await self._run(checklist_id, actor, specs, answers, plan, qbo_data, finale_data)
        return await asyncio.to_thread(self.status, checklist_id)

    async def _run(
        self,
        checklist_id: int,
        actor: Actor | None,
        specs: Sequence[CheckSpec],
        answers: Answers,
        plan: LoadPlan,
        qbo_data: QboConnectionData | None,
        finale_data: FinaleConnectionData | None,
    ) -> None:
        """One run: opened, handed to the workers (which store its results), closed."""
        started = self.clock()
        run_id = await asyncio.to_thread(self._open_run, checklist_id, actor, specs, started)
        job = CheckJob(
            checklist_id,
            run_id,
            tuple(specs),
            answers,
            plan,
            started,
            time.monotonic(),
            qbo_data,
            finale_data,
            self.registry.views_for(specs),
            self.settings.incremental_reads,
        )
        report = await self.workers.run(job)  # the results are stored when it returns
        log.info("Checklist %s checked: %s", checklist_id, describe(report))
        for listener in self._run_listeners:
            listener(report)
        if report.company is not None:
            self._close_dates[checklist_id] = report.company.book_close_date
        await asyncio.to_thread(self._close_run, checklist_id, run_id)

    def on_run(self, listener: Callable[[RunReport], None]) -> None:
        """Call `listener` with every finished run, once its results are stored (the benchmarks time it)."""
        self._run_listeners.append(listener)

    def _run_inputs(
        self, checklist_id: int
    ) -> tuple[ChecklistView, Answers, QboConnectionData | None, FinaleConnectionData | None]:
        with self.sessions() as s:
            row = self._row(s, checklist_id)
            view = self._view(s, row)
            return (
                view,
                self._answers(s, row, view),
                self._qbo_data(s, checklist_id),
                self._finale_data(s, checklist_id),
            )

    def _open_run(self, checklist_id: int, actor: Actor | None, specs: Sequence[CheckSpec], started: datetime) -> int:
        """Record that a run began; its results are stored under it by whichever process runs its checks."""
        with self.sessions.begin() as s:
            triggered_by = actor.user_id if actor else "reminder"
            return runs.open_run(
                s, checklist_id, started_at=started, triggered_by=triggered_by, slugs=[spec.slug for spec in specs]
            )

    def _close_run(self, checklist_id: int, run_id: int) -> None:
        with self.sessions.begin() as s:
            runs.finish_run(s, run_id, self.clock())
        self._refresh_state(checklist_id)

    def _refresh_state(self, checklist_id: int) -> None:
        status = self.status(checklist_id)
        wanted = db.ChecklistState.READY if status.ready else db.ChecklistState.OPEN
        with self.sessions.begin() as s:
            changed = self._row(s, checklist_id).state != wanted
            if changed:
                checklists.update_checklist(s, checklist_id, state=wanted)
        if changed:
            self.stop_reminders_if_all_clear(checklist_id, status)
