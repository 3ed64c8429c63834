"""Teams conversation references (how to reach a chat or channel later) and files handed out by link."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import ConversationReference, Download, Platform, utcnow
from storage.repositories._insert import insert_ignoring_conflict
from storage.repositories.checklists import get_or_create_workspace, get_workspace


def save_reference(
    session: Session,
    platform: Platform | str,
    tenant_id: str,
    conversation_id: str,
    *,
    service_url: str,
    reference: dict[str, Any],
    checklist_id: int | None = None,
) -> None:
    """Create or refresh the reference (Teams may move a conversation to another service URL)."""
    workspace = get_or_create_workspace(session, platform, tenant_id)
    row = _reference(session, workspace.id, conversation_id)
    if row is None:
        insert_ignoring_conflict(
            session,
            ConversationReference,
            {
                "workspace_id": workspace.id,
                "conversation_id": conversation_id,
                "service_url": service_url,
                "reference": reference,
                "checklist_id": checklist_id,
                "updated_at": utcnow(),
            },
        )
        row = _reference(session, workspace.id, conversation_id)
        assert row is not None
    row.service_url = service_url
    row.reference = dict(reference)
    row.updated_at = utcnow()
    if checklist_id is not None:
        row.checklist_id = checklist_id
    session.flush()


def find_reference(
    session: Session, platform: Platform | str, tenant_id: str, conversation_id: str
) -> dict[str, Any] | None:
    workspace = get_workspace(session, platform, tenant_id)
    if workspace is None:
        return None
    row = _reference(session, workspace.id, conversation_id)
    return None if row is None else dict(row.reference)


def _reference(session: Session, workspace_id: int, conversation_id: str) -> ConversationReference | None:
    return session.scalars(
        select(ConversationReference).where(
            ConversationReference.workspace_id == workspace_id,
            ConversationReference.conversation_id == conversation_id,
        )
    ).one_or_none()


def save_download(
    session: Session, download_id: str, filename: str, mimetype: str, content: bytes, expires_at: datetime
) -> None:
    # Expired files go as new ones arrive: nothing else needs to sweep them.
    session.execute(delete(Download).where(Download.expires_at < utcnow()))
    session.add(
        Download(
            id=download_id,
            filename=filename,
            mimetype=mimetype,
            content=content,
            created_at=utcnow(),
            expires_at=expires_at,
        )
    )
    session.flush()


def find_download(session: Session, download_id: str) -> Download | None:
    """The file, unless it is unknown or its link has expired."""
    row = session.get(Download, download_id)
    if row is None or row.expires_at <= utcnow():
        return None
    return row
