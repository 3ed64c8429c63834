"""Configuration from the environment and `.env`, with the names each ecosystem's documentation uses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("data")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=DEFAULT_DATA_DIR, validation_alias="PREFLIGHT_DATA_DIR")
    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    secret_key: SecretStr | None = Field(default=None, validation_alias="PREFLIGHT_SECRET_KEY")
    timezone: str = Field(default="America/New_York", validation_alias="PREFLIGHT_TIMEZONE")
    backup_max_age_days: int = Field(default=7, ge=1, validation_alias="PREFLIGHT_BACKUP_MAX_AGE_DAYS")
    invoice_volume_warn_per_month: int = Field(
        default=2000, ge=1, validation_alias="PREFLIGHT_INVOICE_VOLUME_WARN_PER_MONTH"
    )
    # Check runs at once, each in a worker process (bot/checklist/workers.py); 0 runs them in the server's.
    # Re-checks read only what changed since the last read (QBO Change Data Capture, Finale lastUpdatedDate
    # windows), kept per checklist in the database. Off until an unchanged re-check is faster than a full read.
    incremental_reads: bool = Field(default=False, validation_alias="PREFLIGHT_INCREMENTAL_READS")
    check_processes: int = Field(default=2, ge=0, le=64, validation_alias="PREFLIGHT_CHECK_PROCESSES")
    # How long a replica holds an acknowledged request it is working on; another takes over when it lapses.
    request_lease_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="PREFLIGHT_REQUEST_LEASE_SECONDS"
    )
    # Reminders across replicas (bot/reminders/delivery.py): how long a claim on a slot lasts unrenewed (a replica
    # killed mid-slot is taken over after it), how often each replica looks for lapsed or missed slots, and how
    # many slots one replica delivers at once.
    reminder_lease_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias="PREFLIGHT_REMINDER_LEASE_SECONDS"
    )
    reminder_sweep_seconds: float = Field(
        default=15.0, gt=0, le=3600, validation_alias="PREFLIGHT_REMINDER_SWEEP_SECONDS"
    )
    reminder_concurrency: int = Field(default=4, ge=1, le=256, validation_alias="PREFLIGHT_REMINDER_CONCURRENCY")

    # QuickBooks Online (Intuit OAuth 2.0)
    qbo_client_id: str | None = Field(default=None, validation_alias="QBO_CLIENT_ID")
    qbo_client_secret: SecretStr | None = Field(default=None, validation_alias="QBO_CLIENT_SECRET")
    qbo_redirect_uri: str | None = Field(default=None, validation_alias="QBO_REDIRECT_URI")
    qbo_environment: str = Field(default="sandbox", validation_alias="QBO_ENVIRONMENT")
    qbo_api_base: str | None = Field(
        default=None,
        validation_alias=AliasChoices("QBO_API_BASE", "QBO_API_BASE_URL"),
        description="Overrides the v3 API base, e.g. http://127.0.0.1:9001/v3 for the sandbox simulator.",
    )
    qbo_realm_id: str | None = Field(default=None, validation_alias="QBO_REALM_ID")
    qbo_refresh_token: SecretStr | None = Field(default=None, validation_alias="QBO_REFRESH_TOKEN")

    # Finale Inventory
    finale_account: str | None = Field(default=None, validation_alias="FINALE_ACCOUNT")
    finale_api_key: SecretStr | None = Field(default=None, validation_alias="FINALE_API_KEY")
    finale_api_secret: SecretStr | None = Field(default=None, validation_alias="FINALE_API_SECRET")
    finale_base_url: str = Field(default="https://app.finaleinventory.com", validation_alias="FINALE_BASE_URL")
    finale_average_cost_report_url: str | None = Field(default=None, validation_alias="FINALE_AVERAGE_COST_REPORT_URL")
    finale_inventory_value_report_url: str | None = Field(
        default=None, validation_alias="FINALE_INVENTORY_VALUE_REPORT_URL"
    )

    # Slack
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, validation_alias="SLACK_CLIENT_SECRET")
    slack_api_url: str | None = Field(default=None, validation_alias="SLACK_API_URL")

    # Microsoft Teams (Azure Bot registration), under Bot Framework's own names. An empty app id is the local
    # mode (Microsoft 365 Agents Playground): no token checked or sent; the server says so loudly at start.
    microsoft_app_id: str = Field(default="", validation_alias="MicrosoftAppId")
    microsoft_app_password: SecretStr | None = Field(default=None, validation_alias="MicrosoftAppPassword")
    microsoft_app_type: Literal["SingleTenant", "UserAssignedMSI", "MultiTenant"] = Field(
        default="SingleTenant", validation_alias="MicrosoftAppType"
    )
    microsoft_app_tenant_id: str = Field(default="", validation_alias="MicrosoftAppTenantId")
    teams_enabled: bool = Field(default=False, validation_alias="PREFLIGHT_TEAMS")
    # Where Bot Framework's tokens come from and are checked against: Azure's public cloud unless set (tests
    # point them at the local stand-in in sandbox/teams/).
    teams_openid_metadata_url: str | None = Field(default=None, validation_alias="TEAMS_OPENID_METADATA_URL")
    teams_token_issuer: str | None = Field(default=None, validation_alias="TEAMS_TOKEN_ISSUER")
    teams_login_url: str | None = Field(default=None, validation_alias="TEAMS_LOGIN_URL")
    teams_oauth_scope: str | None = Field(default=None, validation_alias="TEAMS_OAUTH_SCOPE")
    teams_oauth_url: str | None = Field(default=None, validation_alias="TEAMS_OAUTH_URL")

    public_url: str = Field(default="http://localhost:3000", validation_alias="PREFLIGHT_PUBLIC_URL")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", validation_alias="PREFLIGHT_LOG_LEVEL"
    )

    @property
    def resolved_database_url(self) -> str:
        """The configured database, or a SQLite file in the data directory (zero set-up)."""
        if self.database_url:
            url = self.database_url
            # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants an explicit dialect+driver.
            if url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgres://")
            elif url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'preflight.sqlite3').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def with_overrides(settings: Settings, values: dict[str, object]) -> Settings:
    """A copy with some fields replaced, validated like the environment would be (secrets stay SecretStr)."""
    merged = settings.model_dump()
    merged.update(values)
    return Settings.model_validate(merged)
