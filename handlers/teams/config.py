"""Bot Framework's settings for botbuilder's ConfigurationBotFrameworkAuthentication, from Preflight's.

botbuilder reads attributes by name (APP_ID, APP_PASSWORD, APP_TYPE, APP_TENANTID and, to point token checks
somewhere other than Azure's public cloud, the TO_* URLs). An empty app id is the local mode: no inbound token
is required and none is sent, which is what Microsoft 365 Agents Playground speaks.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings


@dataclass(frozen=True)
class BotConfig:
    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    VALIDATE_AUTHORITY: bool = True
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None
    CHANNEL_SERVICE: str | None = None

    @property
    def local(self) -> bool:
        return not self.APP_ID


def bot_config(settings: Settings) -> BotConfig:
    password = settings.microsoft_app_password.get_secret_value() if settings.microsoft_app_password else ""
    metadata = settings.teams_openid_metadata_url
    return BotConfig(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=password,
        # botbuilder checks the credentials of SingleTenant and managed identity at start; with no app id
        # (local mode) only its default type leaves authentication off.
        APP_TYPE=settings.microsoft_app_type if settings.microsoft_app_id else "MultiTenant",
        APP_TENANTID=settings.microsoft_app_tenant_id,
        TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=metadata,
        TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=metadata,
        TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=settings.teams_token_issuer,
        TO_CHANNEL_FROM_BOT_LOGIN_URL=settings.teams_login_url,
        TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=settings.teams_oauth_scope,
        # A login URL of its own (a sovereign cloud, the local stand-in) is not one Azure AD can vouch for.
        VALIDATE_AUTHORITY=settings.teams_login_url is None,
        OAUTH_URL=settings.teams_oauth_url,
    )
