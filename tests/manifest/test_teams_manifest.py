"""The Teams app manifest is valid against Microsoft's newest manifest schema, its icons follow Teams' rules,
and the package zip is what Teams accepts for upload."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.conversation.intents import COMMANDS
from handlers.teams.package import MANIFEST_DIR, build_manifest, build_package, load_template, teams_app_id

REPO = Path(__file__).resolve().parents[2]
SPECS = REPO.parent / "shared" / "specs"
SCHEMA = SPECS / "teams-manifest-1.30.schema.json"
APP_ID = "3f2b8c1e-9d4a-4b6e-8f10-2a7c5e9d1b44"
HOST = "preflight.acme-books.com"
MENU = ("start", "status", "check", "next", "enable-date", "backup", "connect", "owners", "remind", "snooze", "report")


def validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    if not SCHEMA.is_file():
        pytest.skip(f"Teams manifest schema not found at {SCHEMA}")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # No check_schema: the file uses \p{L} in one pattern (extension functions, unused here), which is valid
    # ECMA-262 but not Python regex syntax.
    return jsonschema.Draft4Validator(schema)


def errors_of(manifest: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator().iter_errors(manifest)]


def test_template_and_built_manifest_are_valid() -> None:
    template = load_template()
    assert errors_of(template) == []
    built = build_manifest(APP_ID, HOST)
    assert errors_of(built) == []
    assert built["manifestVersion"] == "1.30" and built["$schema"].endswith("/v1.30/MicrosoftTeams.schema.json")
    assert built["bots"][0]["botId"] == APP_ID and built["id"] == teams_app_id(APP_ID) != APP_ID
    assert built["validDomains"] == [HOST]
    assert all(built["developer"][k].startswith(f"https://{HOST}/") for k in ("websiteUrl", "privacyUrl"))
    assert "preflight.example.com" not in json.dumps(built)


def test_schema_rejects_a_broken_manifest() -> None:
    # Guards the test above against a schema that accepts anything.
    broken = build_manifest(APP_ID, HOST)
    broken["bots"][0]["scopes"].append("groupchat")  # the old lowercase spelling
    broken["bots"][0]["commandLists"][0]["commands"] *= 2  # 24 commands, over the limit of 12
    del broken["icons"]["outline"]
    assert len(errors_of(broken)) >= 3


def test_bot_scopes_and_commands() -> None:
    (bot,) = load_template()["bots"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    lists = bot["commandLists"]
    assert sorted(s for entry in lists for s in entry["scopes"]) == ["groupChat", "personal", "team"]
    known = {c.name: c for c in COMMANDS}
    for entry in lists:
        titles = [c["title"] for c in entry["commands"]]
        assert set(titles) <= set(known), set(titles) - set(known)
        assert set(MENU) | {"help"} == set(titles) and len(titles) == 12
        for command in entry["commands"]:
            assert command["description"].strip()
            if command["title"] != "help":
                assert command["description"] == known[command["title"]].summary.replace("`", "")


def test_icons_follow_teams_rules() -> None:
    color = Image.open(MANIFEST_DIR / "color.png")
    assert color.format == "PNG" and color.size == (192, 192)
    assert color.convert("RGBA").getchannel("A").getextrema() == (255, 255)  # full colour, no transparency
    outline = Image.open(MANIFEST_DIR / "outline.png").convert("RGBA")
    assert outline.size == (32, 32)
    alpha = outline.getchannel("A")
    assert alpha.getextrema()[0] == 0 and alpha.getextrema()[1] > 200  # transparent background, visible mark
    pixels = outline.load()
    assert pixels is not None
    visible = [pixels[x, y] for x in range(32) for y in range(32) if pixels[x, y][3] > 0]
    assert visible and all(px[:3] == (255, 255, 255) for px in visible)  # white only


def test_package_zip() -> None:
    package = build_package(APP_ID, HOST)
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest == build_manifest(APP_ID, HOST)
        assert archive.read("color.png") == (MANIFEST_DIR / "color.png").read_bytes()
        icons = manifest["icons"]
        assert {icons["color"], icons["outline"]} <= set(archive.namelist())
    assert build_package(APP_ID, HOST) == package  # reproducible


@pytest.mark.parametrize(
    ("app_id", "host"),
    [("not-a-guid", HOST), (APP_ID, "https://preflight.acme.com"), (APP_ID, "host/with/path"), (APP_ID, "")],
)
def test_bad_arguments_are_refused(app_id: str, host: str) -> None:
    with pytest.raises(ValueError):
        build_package(app_id, host)
