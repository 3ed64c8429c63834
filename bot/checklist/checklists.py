"""Finding and starting checklists, and who owns them."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from bot.checklist.base import ServiceBase, zone
from bot.checklist.views import Actor, ChecklistView, ScopeKey
from bot.requests import mark_applied
from storage.repositories import checklists, owners


class Checklists(ServiceBase):
    def find(self, scope: ScopeKey) -> ChecklistView | None:
        return self._shared.read(("find", scope), lambda: self._find(scope))

    def _find(self, scope: ScopeKey) -> ChecklistView | None:
        with self.sessions() as s:
            row = checklists.find_checklist(s, scope.platform, scope.workspace_id, scope.channel_id)
            return None if row is None else self._view(s, row)

    def checklists_in(self, platform: str, workspace_id: str) -> list[ChecklistView]:
        """Every checklist of one workspace (e.g. for Slack's App Home), oldest first; never another's."""
        with self.sessions() as s:
            return [self._view(s, row) for row in checklists.checklists_of_workspace(s, platform, workspace_id)]

    def get(self, checklist_id: int) -> ChecklistView:
        with self.sessions() as s:
            return self._view(s, self._row(s, checklist_id))

    def start(self, scope: ScopeKey, actor: Actor, company_label: str | None = None) -> tuple[ChecklistView, bool]:
        """Create the channel's checklist with the caller as its first owner; return (view, created)."""
        existing = self.find(scope)
        if existing is not None:
            return existing, False
        label = (company_label or "").strip()[:200] or "your company"
        try:
            with self.sessions.begin() as s:
                ws = checklists.get_or_create_workspace(s, scope.platform, scope.workspace_id, scope.workspace_name)
                row = checklists.create_checklist(
                    s, ws, scope.channel_id, company_label=label, reminder_timezone=self.settings.timezone
                )
                owners.add_owner(s, row.id, actor.user_id, display_name=actor.name, added_by=actor.user_id)
                checklist_id = row.id
        except IntegrityError:
            # Someone else started this channel's checklist at the same moment (the unique channel won).
            existing = self.find(scope)
            if existing is None:
                raise
            return existing, False
        return self.get(checklist_id), True

    def add_owner(self, checklist_id: int, actor: Actor, new_owner: Actor) -> None:
        with self.sessions.begin() as s:
            self._require_owner(s, checklist_id, actor, "add owners")
            mark_applied(s)
            owners.add_owner(s, checklist_id, new_owner.user_id, display_name=new_owner.name, added_by=actor.user_id)

    def require_owner(self, checklist_id: int, actor: Actor, what: str = "do that") -> None:
        with self.sessions() as s:
            self._require_owner(s, checklist_id, actor, what)

    def timezone(self, checklist_id: int) -> ZoneInfo:
        view = self.get(checklist_id)
        return zone(view.timezone)

    def today(self, checklist_id: int) -> date:
        return self.clock().astimezone(self.timezone(checklist_id)).date()
