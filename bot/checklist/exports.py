"""What a checklist hands over as files or text: the deactivation list and the opening-balance entry."""

from __future__ import annotations

from bot.checklist.status import StatusReads
from checks import export as check_export
from checks.results import Status


class Exports(StatusReads):
    def deactivation_csv(self, checklist_id: int) -> bytes | None:
        result = self.status(checklist_id).results.get("deactivation")
        if result is None or not result.findings:
            return None
        return check_export.deactivation_csv(result)

    def journal_entry(self, checklist_id: int) -> str | None:
        """The journal entries the last check drafted and QBO does not have yet, as text: the opening entry
        dated D-1 and a reversing entry per write-off on or after the enable date. None when none is needed."""
        result = self.status(checklist_id).results.get("opening-balance")
        if result is None or result.status not in (Status.FAIL, Status.ERROR):
            return None
        drafts = [f.detail for f in result.findings if f.kind == "journal_entry" and f.extra.get("posted") != "yes"]
        return "\n\n".join(drafts) if drafts else None
