"""The Teams app package: manifest.json (app id and host filled in) and the two icons, zipped at the root.

Upload the result in Teams (Apps → Manage your apps → Upload an app) or in the Developer Portal. The
template and icons live in manifest/teams/; `preflight teams-package` writes the zip.
"""

from __future__ import annotations

import copy
import io
import json
import re
import uuid
import zipfile
from pathlib import Path
from typing import Any

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "manifest" / "teams"
TEMPLATE_HOST = "preflight.example.com"
ICONS = ("color.png", "outline.png")
# Teams app ids derived from the bot's app id, so a rebuilt package updates the same app instead of adding one.
_APP_NAMESPACE = uuid.UUID("5b0b6a4e-2f44-4c55-9a51-7072656c6967")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")
# A fixed timestamp keeps the zip byte-for-byte reproducible.
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


def load_template() -> dict[str, Any]:
    template: dict[str, Any] = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    return template


def teams_app_id(app_id: str) -> str:
    return str(uuid.uuid5(_APP_NAMESPACE, app_id.lower()))


def build_manifest(app_id: str, host: str) -> dict[str, Any]:
    """The manifest for the bot registered as `app_id` (its Microsoft App ID) served at `host`."""
    if not _GUID.match(app_id):
        raise ValueError(f"The app id must be the bot's Microsoft App ID, a GUID; got {app_id!r}.")
    host = host.strip().lower()
    if not _HOST.match(host):
        raise ValueError(f"The host must be a bare host name such as preflight.example.com; got {host!r}.")
    manifest = copy.deepcopy(load_template())
    manifest["id"] = teams_app_id(app_id)
    for bot in manifest["bots"]:
        bot["botId"] = app_id
    developer = manifest["developer"]
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        developer[key] = developer[key].replace(TEMPLATE_HOST, host)
    manifest["validDomains"] = [host if d == TEMPLATE_HOST else d for d in manifest["validDomains"]]
    return manifest


def build_package(app_id: str, host: str) -> bytes:
    """The .zip to upload to Teams: manifest.json, color.png and outline.png at the root."""
    manifest = build_manifest(app_id, host)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        files = [("manifest.json", (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))]
        files += [(name, (MANIFEST_DIR / name).read_bytes()) for name in ICONS]
        for name, content in files:
            archive.writestr(zipfile.ZipInfo(name, date_time=_ZIP_TIME), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
