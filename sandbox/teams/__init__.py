"""A local stand-in for Microsoft Teams / Bot Framework, so the Teams surface runs against real botbuilder code.

    with TeamsSandbox() as teams:
        config = teams.bot_config()          # attributes ConfigurationBotFrameworkAuthentication reads
        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
        body = teams.message("status")       # an activity Teams would POST, serviceUrl = the stand-in
        headers = {"Authorization": "Bearer " + teams.sign_activity_token()}
        ...                                  # POST it to the bot's /api/messages
        teams.connector.wait_for(1)          # what the bot sent back, cards validated against AC 1.5

How botbuilder 4.17.1 is pointed at the stand-in (attribute names that
`botbuilder.integration.aiohttp.ConfigurationBotFrameworkAuthentication` reads with getattr; any of the
TO_*/OAUTH_URL ones being set makes it build `_ParameterizedBotFrameworkAuthentication`):

- APP_ID / APP_PASSWORD: DEFAULT_APP_ID / DEFAULT_APP_PASSWORD (the app registered here); APP_TYPE "MultiTenant".
- TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: `<http url>/.well-known/openidconfiguration` (its jwks_uri is
  `<http url>/keys`): the keys that check inbound tokens.
- TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: "https://api.botframework.com" (CHANNEL_TOKEN_ISSUER), the inbound `iss`.
- TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: the same metadata URL (only Emulator and skill tokens use it).
- TO_CHANNEL_FROM_BOT_LOGIN_URL: `<https url>/botframework.com/b2c_preflight_sandbox`, the MSAL authority
  for the bot's outbound token (token endpoint `<https url>/botframework.com/oauth2/v2.0/token`).
- TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: "https://api.botframework.com", the outbound token's scope/audience.
- OAUTH_URL: `<http url>` (the user-token service; Preflight does not use it). VALIDATE_AUTHORITY: False.

Why the login URL looks like that: botbuilder's MicrosoftAppCredentials builds an MSAL
ConfidentialClientApplication with that authority and never passes `validate_authority`, so MSAL would ask
login.microsoftonline.com to vouch for an unknown host (instance discovery) unless the authority looks like
Azure AD B2C (second path segment starting with `b2c_`), in which case it goes straight to
`<authority>/v2.0/.well-known/openid-configuration` — served here, pointing at the token endpoint
`/botframework.com/oauth2/v2.0/token`. MSAL also only accepts an https authority, so the same app is served
on a second, TLS port with a self-signed certificate; set `REQUESTS_CA_BUNDLE` to `teams.tls.cert_path`
(`teams.trust_env()` returns the mapping) while the bot fetches tokens. The connector and the metadata stay
on plain HTTP: `serviceUrl` is what the activities carry, and botbuilder fetches metadata with requests.

What botbuilder raises for a bad inbound token (tests/sandbox/teams/test_auth.py): PermissionError for a
missing (None) header, a wrong audience, issuer or serviceurl; jwt.ExpiredSignatureError /
jwt.InvalidSignatureError for an expired or forged token; AttributeError for an empty "" header (what
CloudAdapter.process passes when the request has no Authorization header); IndexError for an unknown kid;
a bare Exception for a key not endorsed for the channel. CloudAdapter.process maps only PermissionError to
401, so the route should answer 401 for the others too rather than let them become 500s.
"""

from __future__ import annotations

from types import SimpleNamespace, TracebackType
from typing import Any

from sandbox.server import BackgroundServer
from sandbox.teams.activities import (
    TeamsPlace,
    TeamsUser,
    installation_activity,
    invoke_activity,
    message_activity,
    submit_activity,
)
from sandbox.teams.auth import BOT_TOKEN_AUDIENCE, CHANNEL_TOKEN_ISSUER, TlsFiles, TokenIssuer, self_signed_tls
from sandbox.teams.connector import (
    DEFAULT_APP_ID,
    DEFAULT_APP_PASSWORD,
    LOGIN_TENANT,
    RecordedActivity,
    TeamsConnectorSandbox,
    card_errors,
    load_card_schema,
)

LOGIN_AUTHORITY_PATH = f"/{LOGIN_TENANT}/b2c_preflight_sandbox"
OPENID_METADATA_PATH = "/.well-known/openidconfiguration"

__all__ = [
    "BOT_TOKEN_AUDIENCE",
    "CHANNEL_TOKEN_ISSUER",
    "DEFAULT_APP_ID",
    "DEFAULT_APP_PASSWORD",
    "RecordedActivity",
    "TeamsConnectorSandbox",
    "TeamsPlace",
    "TeamsSandbox",
    "TeamsUser",
    "TokenIssuer",
    "card_errors",
    "installation_activity",
    "invoke_activity",
    "load_card_schema",
    "message_activity",
    "submit_activity",
]


class TeamsSandbox:
    """The connector, login and metadata services running on loopback (HTTP and HTTPS ports)."""

    def __init__(
        self,
        *,
        app_id: str = DEFAULT_APP_ID,
        app_password: str = DEFAULT_APP_PASSWORD,
        require_auth: bool = True,
        tls: TlsFiles | None = None,
    ) -> None:
        self.app_id = app_id
        self.app_password = app_password
        self.connector = TeamsConnectorSandbox(apps={app_id: app_password}, require_auth=require_auth)
        self.issuer = self.connector.issuer
        self.tls = tls or self_signed_tls()
        self.server = BackgroundServer(self.connector.app, ssl_context=self.tls.server_context())

    def __enter__(self) -> TeamsSandbox:
        self.server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.stop()

    # ---------------------------------------------------------------------------------- URLs

    @property
    def service_url(self) -> str:
        """The `serviceUrl` activities carry; botbuilder appends `v3/conversations/...`."""
        return self.server.url + "/"

    @property
    def openid_metadata_url(self) -> str:
        return self.server.url + OPENID_METADATA_PATH

    @property
    def login_url(self) -> str:
        return self.server.tls_url + LOGIN_AUTHORITY_PATH

    def trust_env(self) -> dict[str, str]:
        """Environment that makes requests/MSAL trust the stand-in's self-signed HTTPS port."""
        return {"REQUESTS_CA_BUNDLE": str(self.tls.cert_path)}

    def bot_config(self, *, app_id: str | None = None, app_password: str | None = None) -> Any:
        """A configuration object for ConfigurationBotFrameworkAuthentication (see the module docstring)."""
        return SimpleNamespace(
            APP_ID=self.app_id if app_id is None else app_id,
            APP_PASSWORD=self.app_password if app_password is None else app_password,
            APP_TYPE="MultiTenant",
            APP_TENANTID="",
            VALIDATE_AUTHORITY=False,
            TO_CHANNEL_FROM_BOT_LOGIN_URL=self.login_url,
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=BOT_TOKEN_AUDIENCE,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=CHANNEL_TOKEN_ISSUER,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=self.openid_metadata_url,
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=self.openid_metadata_url,
            OAUTH_URL=self.server.url,
            CALLER_ID=None,
        )

    # ------------------------------------------------------------------------- what Teams sends

    def sign_activity_token(self, audience: str | None = None, **kw: Any) -> str:
        """A channel → bot token for an activity from this stand-in (see TokenIssuer.sign_activity_token)."""
        kw.setdefault("service_url", self.service_url)
        return self.issuer.sign_activity_token(self.app_id if audience is None else audience, **kw)

    def message(self, text: str, **kw: Any) -> dict[str, Any]:
        return message_activity(text, service_url=self.service_url, app_id=self.app_id, **kw)

    def submit(self, value: dict[str, Any], *, reply_to_id: str, **kw: Any) -> dict[str, Any]:
        return submit_activity(value, service_url=self.service_url, app_id=self.app_id, reply_to_id=reply_to_id, **kw)

    def invoke(self, verb: str, data: dict[str, Any], *, reply_to_id: str, **kw: Any) -> dict[str, Any]:
        return invoke_activity(
            verb, data, service_url=self.service_url, app_id=self.app_id, reply_to_id=reply_to_id, **kw
        )

    def installation(self, **kw: Any) -> dict[str, Any]:
        return installation_activity(service_url=self.service_url, app_id=self.app_id, **kw)
