"""Where every check of a checklist stands, read by every chat request that shows it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.checklist.reminding import Reminding
from bot.checklist.views import Change, ChecklistStatus
from checks.answers import Answers
from checks.registry import is_cleared
from checks.results import CheckResult
from storage.repositories import runs

RESULT_CACHE_SIZE = 512  # decoded stored results kept in memory (about 50 checklists' worth)


class StatusReads(Reminding):
    def status(self, checklist_id: int) -> ChecklistStatus:
        """Where every check stands. Read by every chat request that shows the checklist: concurrent reads of
        one checklist share one (SharedReads)."""
        return self._shared.read(("status", checklist_id), lambda: self._status(checklist_id))

    def _status(self, checklist_id: int) -> ChecklistStatus:
        with self.sessions() as s:
            row = self._row(s, checklist_id)
            view = self._view(s, row)
            # The history without its findings: enough to find the latest result of each check and what
            # changed; only those latest results are then loaded (findings can run to thousands of rows).
            latest: dict[str, tuple[int, str, datetime]] = {}
            previous_status: dict[str, tuple[str, datetime]] = {}
            for record_id, slug, record_status, created_at in runs.result_history(s, checklist_id):
                prior = latest.get(slug)
                if prior is not None and prior[1] != record_status.value:
                    previous_status[slug] = (prior[1], created_at)
                latest[slug] = (record_id, record_status.value, created_at)
            answers = self._answers(s, row, view)
            stored = self._results(s, [record_id for record_id, _, _ in latest.values()])
            # Clearing follows the answers as they are now (a new acknowledgement clears at once).
            results = {slug: _with_cleared(stored[record_id], answers) for slug, (record_id, _, _) in latest.items()}
            changes = tuple(
                Change(slug, before, latest[slug][1], since)
                for slug, (before, since) in previous_status.items()
                if self.clock() - since < timedelta(days=7)
            )
            confirmations = tuple(self._log(s, checklist_id))
            return ChecklistStatus(
                checklist=view,
                specs=tuple(self.registry.all()),
                results=results,
                checked_at={slug: created for slug, (_, _, created) in latest.items()},
                changes=changes,
                confirmations=confirmations,
                finale_balance=answers.finale_balance,
                backup_date=answers.backup_date,
            )

    def _results(self, s: Session, record_ids: list[int]) -> dict[int, CheckResult]:
        """Stored results by id. They never change once written, so decoded ones are kept in memory."""
        found = self._cached(record_ids)
        if len(found) < len(record_ids):
            # One reader decodes new results (thousands of findings); readers arriving meanwhile wait and
            # then find them cached, instead of all decoding the same rows at once.
            with self._decode_lock:
                found = self._cached(record_ids)
                missing = [i for i in record_ids if i not in found]
                if missing:
                    decoded = runs.load_results(s, missing)
                    found.update(decoded)
                    with self._cache_lock:
                        self._result_cache.update(decoded)
                        while len(self._result_cache) > RESULT_CACHE_SIZE:
                            self._result_cache.pop(next(iter(self._result_cache)))
        return found

    def _cached(self, record_ids: list[int]) -> dict[int, CheckResult]:
        with self._cache_lock:
            return {i: self._result_cache[i] for i in record_ids if i in self._result_cache}


def _with_cleared(result: CheckResult, answers: Answers) -> CheckResult:
    return replace(result, cleared=is_cleared(result, answers))
