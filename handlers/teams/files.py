"""Files the Teams surface hands out (the CSV exports) through a short-lived signed link.

The file is kept in Preflight's database (so any replica can serve it) for an hour; the link carries its
random id encrypted and authenticated with Preflight's secret key, so a link cannot be guessed or altered.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

from aiohttp import web
from sqlalchemy.orm import Session, sessionmaker

from bot.cards import FileAttachment
from storage.crypto import SecretKeyError, get_secret_box
from storage.models import utcnow
from storage.repositories import conversations

log = logging.getLogger(__name__)

FILES_PATH = "/files/{token}"
LINK_LIFETIME = timedelta(hours=1)
PREFIX = "preflight-download:"


class Downloads:
    def __init__(self, sessions: sessionmaker[Session], public_url: str) -> None:
        self.sessions = sessions
        self.public_url = public_url.rstrip("/")

    async def link(self, attachment: FileAttachment) -> str:
        download_id = secrets.token_urlsafe(24)

        def save() -> None:
            with self.sessions.begin() as session:
                conversations.save_download(
                    session,
                    download_id,
                    attachment.filename,
                    attachment.mimetype,
                    attachment.content,
                    utcnow() + LINK_LIFETIME,
                )

        await asyncio.to_thread(save)
        token = get_secret_box().encrypt(PREFIX + download_id)
        return f"{self.public_url}/files/{token}"

    async def serve(self, request: web.Request) -> web.StreamResponse:
        gone = web.Response(
            status=404,
            text="This download link has expired or is not valid. Ask Preflight for the list again.",
            headers={"Cache-Control": "no-store"},
        )
        try:
            plain = get_secret_box().decrypt(request.match_info["token"])
        except (SecretKeyError, ValueError):
            return gone
        if not plain.startswith(PREFIX):
            return gone

        def load() -> tuple[str, str, bytes] | None:
            with self.sessions() as session:
                row = conversations.find_download(session, plain.removeprefix(PREFIX))
                return None if row is None else (row.filename, row.mimetype, bytes(row.content))

        found = await asyncio.to_thread(load)
        if found is None:
            return gone
        filename, mimetype, content = found
        safe_name = "".join(c for c in filename if c.isalnum() or c in "._-") or "preflight.csv"
        return web.Response(
            body=content,
            content_type=mimetype,
            headers={
                "Content-Disposition": f'attachment; filename="{safe_name}"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )
