"""files.getUploadURLExternal and files.completeUploadExternal: the two steps of slack_sdk's files_upload_v2."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from sandbox.slack.model import SlackApiError, TokenInfo, UploadedFile
from sandbox.slack.state import SlackState


def get_upload_url(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    filename = args.get("filename")
    try:
        length = int(args.get("length", ""))
    except ValueError:
        raise SlackApiError("invalid_arguments") from None
    if not isinstance(filename, str) or not filename or length < 0:
        raise SlackApiError("invalid_arguments")
    file_id = state.next_id("F")
    with state.lock:
        state.uploads[file_id] = UploadedFile(file_id, filename, length)
    upload_url = f"{request.url.scheme}://{request.host}/upload/{file_id}"
    return {"ok": True, "upload_url": upload_url, "file_id": file_id}


def complete_upload(
    state: SlackState, request: web.Request, args: dict[str, Any], auth: TokenInfo | None
) -> dict[str, Any]:
    assert auth is not None
    entries = args.get("files")
    if not isinstance(entries, list) or not entries:
        raise SlackApiError("invalid_arguments")
    channel_id = args.get("channel_id")
    if not channel_id and isinstance(args.get("channels"), str):
        channel_id = args["channels"].split(",")[0]
    # chat:write.public covers messages only: sharing a file needs the bot in the channel.
    channel = state.channel_for_post(channel_id, auth, members_only=True) if channel_id else None
    done: list[dict[str, Any]] = []
    with state.lock:
        for entry in entries:
            found = state.uploads.get(entry.get("id", "")) if isinstance(entry, dict) else None
            if found is None or found.content is None:
                raise SlackApiError("file_not_found")
        now = int(time.time())
        for entry in entries:
            f = state.uploads[entry["id"]]
            content = f.content or b""
            f.title = entry.get("title") or f.filename
            f.channel_id = channel.id if channel else None
            f.initial_comment = args.get("initial_comment")
            f.thread_ts = args.get("thread_ts")
            f.completed = True
            extension = f.filename.rsplit(".", 1)[-1].lower() if "." in f.filename else "binary"
            done.append(
                {
                    "id": f.id,
                    "created": now,
                    "timestamp": now,
                    "name": f.filename,
                    "title": f.title,
                    "mimetype": "text/csv" if extension == "csv" else "application/octet-stream",
                    "filetype": extension,
                    "user": auth.user_id,
                    "user_team": auth.team_id,
                    "size": len(content),
                    "url_private": f"https://files.slack.com/files-pri/{auth.team_id}-{f.id}/{f.filename}",
                    "permalink": f"https://{state.team_domain}.slack.com/files/{auth.user_id}/{f.id}/{f.filename}",
                    "channels": [channel.id] if channel and not channel.is_private else [],
                    "groups": [channel.id] if channel and channel.is_private else [],
                }
            )
    return {"ok": True, "files": done}
