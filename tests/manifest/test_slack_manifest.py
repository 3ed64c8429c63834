"""The Slack app manifest is importable as is and matches what Preflight serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "manifest" / "slack" / "manifest.json"
SPECS = REPO.parent / "shared" / "specs"

# The routes Preflight serves (DESIGN.md §8); Bolt handles commands, interactivity and events on one path.
EVENTS_PATH = "/slack/events"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
SUBCOMMANDS = (
    "start",
    "status",
    "check",
    "next",
    "explain",
    "enable-date",
    "backup",
    "connect",
    "remind",
    "report",
    "help",
)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


def _schemas_or_skip() -> Path:
    if not (SPECS / "slack-app-manifest.schema.json").is_file():
        pytest.skip(f"Slack manifest schemas not found at {SPECS}")
    return SPECS


def test_validates_against_slacks_v1_schema(manifest: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    specs = _schemas_or_skip()
    schema = json.loads((specs / "slack-app-manifest.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_validates_through_the_version_dispatching_index_schema(manifest: dict[str, Any]) -> None:
    # The index schema $refs the versioned schemas by their GitHub URLs; serve them from the local copies.
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    specs = _schemas_or_skip()
    index = json.loads((specs / "slack-app-manifest.index.schema.json").read_text(encoding="utf-8"))
    base = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
    resources = []
    for remote, local in (
        ("manifest.schema.1.0.0.json", "slack-app-manifest.schema.json"),
        ("manifest.schema.2.0.0.json", "slack-app-manifest-2.0.0.schema.json"),
    ):
        contents = json.loads((specs / local).read_text(encoding="utf-8"))
        resource = referencing.Resource.from_contents(contents, default_specification=referencing.jsonschema.DRAFT7)
        resources.append((base + remote, resource))
    registry = referencing.Registry().with_resources(resources)
    validator = jsonschema.Draft7Validator(index, registry=registry)
    errors = list(validator.iter_errors(manifest))
    assert not errors, "\n".join(e.message for e in errors)


def test_schema_rejects_a_broken_manifest(manifest: dict[str, Any]) -> None:
    # Guards the two tests above against a schema that accepts anything.
    jsonschema = pytest.importorskip("jsonschema")
    specs = _schemas_or_skip()
    schema = json.loads((specs / "slack-app-manifest.schema.json").read_text(encoding="utf-8"))
    broken = json.loads(json.dumps(manifest))
    broken["features"]["slash_commands"][0]["command"] = "preflight"  # must start with "/"
    broken["display_information"]["name"] = "P" * 36  # at most 35
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) == 2


def test_slash_command(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/preflight"
    assert urlsplit(command["url"]).path == EVENTS_PATH
    hint = command["usage_hint"]
    for sub in SUBCOMMANDS:
        assert sub in hint.split(" "), sub
    for argument in ("[slug|all]", "<slug>", "qbo|finale", "<schedule>|off"):
        assert argument in hint
    assert command["should_escape"] is True  # mentions arrive as <@U123|name>, so `owners add` gets ids


def test_every_request_url_is_the_bolt_endpoint_on_one_https_host(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    urls = [
        manifest["features"]["slash_commands"][0]["url"],
        settings["interactivity"]["request_url"],
        settings["event_subscriptions"]["request_url"],
    ]
    assert settings["interactivity"]["is_enabled"] is True
    assert {urlsplit(u).path for u in urls} == {EVENTS_PATH}
    (redirect,) = manifest["oauth_config"]["redirect_urls"]
    assert urlsplit(redirect).path == OAUTH_REDIRECT_PATH
    hosts = {urlsplit(u).netloc for u in [*urls, redirect]}
    assert hosts == {"preflight.example.com"}
    assert all(urlsplit(u).scheme == "https" for u in [*urls, redirect])


def test_oauth_redirect_matches_bolts_default_route(manifest: dict[str, Any]) -> None:
    from slack_bolt.oauth.oauth_settings import OAuthSettings

    settings = OAuthSettings(client_id="111.222", client_secret="secret", scopes=["commands"])
    assert settings.redirect_uri_path == OAUTH_REDIRECT_PATH
    assert settings.install_path == "/slack/install"


def test_events_needed_for_home_and_cleanup(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    # app_uninstalled and tokens_revoked must be subscribed or Bolt's revocation listeners never fire.
    assert sorted(events) == ["app_home_opened", "app_uninstalled", "tokens_revoked"]
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] is True
    assert home["messages_tab_enabled"] is True


def test_scopes_are_minimal_and_cover_the_api_calls(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    assert set(scopes) == {
        "commands",
        "chat:write",
        "chat:write.public",
        "files:write",
        "users:read",
        "channels:read",
        "groups:read",
        "channels:history",
        "groups:history",
    }
    assert "user" not in manifest["oauth_config"]["scopes"]
    # chat:write.public only extends chat:write.
    assert "chat:write" in scopes


def test_sandbox_grants_the_manifest_scopes(manifest: dict[str, Any]) -> None:
    # Tests run against the Slack stand-in with the scopes a real install of this manifest gets.
    from sandbox.slack import DEFAULT_BOT_SCOPES

    assert tuple(manifest["oauth_config"]["scopes"]["bot"]) == DEFAULT_BOT_SCOPES


def test_http_mode_without_token_rotation(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert settings["token_rotation_enabled"] is False
    assert manifest["display_information"]["name"] == "Preflight"
    assert manifest["features"]["bot_user"]["display_name"] == "Preflight"


def test_readme_explains_every_scope(manifest: dict[str, Any]) -> None:
    readme = (MANIFEST.parent / "README.md").read_text(encoding="utf-8")
    for scope in manifest["oauth_config"]["scopes"]["bot"]:
        assert f"| `{scope}` |" in readme, scope
