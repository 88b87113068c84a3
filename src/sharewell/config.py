"""Settings from the environment (SHAREWELL_ prefix). Nothing is built at import time."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sharewell.domain.errors import ConfigurationError

DEMO_SECRET = "demo-only-secret-do-not-use-in-production"
REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Every knob Sharewell has; see docs/settings.md."""

    model_config = SettingsConfigDict(env_prefix="SHAREWELL_", env_file=None, extra="ignore")

    database_url: str = Field(
        default="sqlite:///./var/sharewell.db",
        description="SQLAlchemy URL: SQLite file (default) or postgresql+psycopg://...",
    )
    demo_mode: bool = Field(default=False, description="Allows the demo secret and demo sign-ins")
    secret_key: SecretStr = Field(
        default=SecretStr(DEMO_SECRET), description="Signs session cookies; set your own"
    )
    partnership_name: str = "Anyshire Safeguarding Partnership"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(
        default=1,
        ge=1,
        description="Processes `sharewell serve` starts; all append to the one audit log",
    )
    https: bool = Field(default=False, description="Served behind TLS: secure cookies and HSTS")
    trusted_proxies: str = Field(
        default="127.0.0.1",
        description="Addresses or networks (comma-separated) of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto `sharewell serve` believes; empty for none, "
        "* for any (see docs/settings.md before using it)",
    )
    session_minutes: int = Field(default=30, ge=1, description="Idle time before signing out")
    lockout_attempts: int = Field(default=5, ge=1, description="Failed sign-ins before lockout")
    lockout_minutes: int = Field(default=15, ge=1)
    assets_dir: Path = Field(
        default=REPO_ROOT / "node_modules",
        description="Where npm installed govuk-frontend and axe-core",
    )
    log_level: str = "INFO"
    database_pool_size: int = Field(
        default=20,
        ge=1,
        description="Database connections each process keeps open for reuse (PostgreSQL)",
    )
    concurrent_requests: int = Field(
        default=4,
        ge=1,
        description="Requests each server process works on at once; the rest wait their turn, "
        "first come first served (see docs/decisions/0018-admission-and-practitioner-cache.md)",
    )
    request_queue_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long a request may wait for its turn before a 503 'busy' answer",
    )
    request_body_max_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body accepted (an agreement YAML upload is the largest); "
        "larger ones are answered 413",
    )
    request_body_seconds: float = Field(
        default=20.0,
        gt=0,
        description="How long a request's body may take to arrive, received before the request "
        "waits for its turn; slower ones are answered 408",
    )
    audit_signing_key: SecretStr | None = Field(
        default=None,
        description="Ed25519 private key that signs audit tree heads (PEM, or base64 of 32 bytes)",
    )
    audit_signing_key_file: Path | None = Field(
        default=None, description="File holding that key instead (PEM or base64)"
    )
    audit_head_interval_seconds: float = Field(
        default=0.5,
        gt=0,
        le=1.0,
        description="While entries arrive, a tree head is signed at least this often",
    )
    share_immediate_hours: int = Field(
        default=4, ge=1, description="Deadline for answering an immediate request to share"
    )
    share_urgent_hours: int = Field(
        default=24, ge=1, description="Deadline for answering an urgent request to share"
    )
    share_routine_working_days: int = Field(
        default=5, ge=1, description="Deadline (Monday-Friday) for a routine request to share"
    )
    risk_calibration_id: str = Field(
        default="anyshire-risk-calibration",
        min_length=1,
        description="The risk calibration joint risk profiles are mapped by (its signed version)",
    )
    sign_in_attempts_per_ip: int = Field(
        default=20, ge=1, description="Sign-in attempts one client address may make per window"
    )
    sign_in_window_minutes: int = Field(default=15, ge=1, description="That window, in minutes")
    model_dir: Path = Field(
        default=Path("./var/models"), description="Where linkage models are saved (versioned)"
    )
    link_threshold: float = Field(
        default=0.95, gt=0, le=1, description="Match probability at which records are linked"
    )
    review_lower: float = Field(
        default=0.5, gt=0, le=1, description="Pairs from here up to the threshold go to review"
    )

    # --- The citizen portal (docs/portal.md) ---
    portal_code_minutes: int = Field(
        default=10, ge=1, le=60, description="How long a citizen's one-time code lasts"
    )
    portal_code_attempts: int = Field(
        default=5, ge=1, le=10, description="Wrong tries before a one-time code stops working"
    )
    portal_codes_per_hour: int = Field(
        default=5, ge=1, description="One-time codes one address may be sent per hour"
    )
    portal_withholding: list[str] = Field(
        default=[
            "crime_prevention:*:365:showing it could prejudice the prevention or detection of crime"
        ],
        description="Log entries withheld from citizens for a time: purpose:org:days:why",
    )
    portal_copy_withheld: list[str] = Field(
        default=["police_intelligence", "risk_to_staff"],
        description="Categories a copy leaves to the holder's IG team to review first",
    )
    portal_storage_location: str = Field(
        default="In the United Kingdom, in the partnership's own database. It is never sent "
        "abroad.",
        description="Where the data is stored, for the commitments page",
    )
    portal_retention: str = Field(
        default="Each organisation keeps its records for as long as its retention schedule "
        "says; the record of who looked is kept for as long as the partnership exists.",
        description="How long data is kept, for the commitments page",
    )
    portal_contact: str = Field(
        default="The partnership's data protection officer: dpo@anyshire.example",
        description="Who to contact, for the commitments page",
    )
    portal_oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer URL for citizens (e.g. NHS login)"
    )
    portal_oidc_client_id: str | None = Field(default=None, description="Our OIDC client id")
    portal_oidc_client_secret: SecretStr | None = Field(
        default=None, description="Our OIDC client secret"
    )
    portal_oidc_client_secret_file: Path | None = Field(
        default=None, description="A file holding the OIDC client secret instead"
    )
    portal_oidc_redirect_url: str | None = Field(
        default=None, description="Our callback URL as registered: https://HOST/my/oidc/callback"
    )
    portal_oidc_scopes: str = Field(default="openid email", description="Scopes asked for")
    portal_oidc_level: str = Field(
        default="medium", description="Identity level a provider's sign-in is recorded with"
    )

    def oidc_client_secret(self) -> str | None:
        """The OIDC client secret from the setting or its file."""
        if self.portal_oidc_client_secret is not None:
            return self.portal_oidc_client_secret.get_secret_value()
        if self.portal_oidc_client_secret_file is not None:
            return self.portal_oidc_client_secret_file.read_text(encoding="utf-8").strip()
        return None

    alerts_terms_file: Path = Field(
        default=REPO_ROOT / "config" / "calendars" / "anyshire-school-terms-2026-2027.yaml",
        description="School term calendar (YAML) for 'before the next school day' alert deadlines",
    )
    alerts_bank_holidays_file: Path = Field(
        default=REPO_ROOT / "config" / "calendars" / "bank-holidays-england-wales.yaml",
        description="Bank holidays (YAML) for school-day alert deadlines",
    )
    alerts_max_attempts: int = Field(
        default=8, ge=1, description="Webhook and email tries before a delivery is dead-lettered"
    )
    alerts_backoff_seconds: float = Field(
        default=1.0, gt=0, description="First retry delay; doubles on each failure (capped 1 h)"
    )
    alerts_webhook_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long a webhook endpoint has to answer"
    )
    alerts_dispatch_in_server: bool = Field(
        default=True,
        description="Run an alert dispatcher in each `sharewell serve` process (one leads and "
        "sends); turn off when `sharewell alerts dispatch` runs on its own",
    )
    alerts_poll_seconds: float = Field(
        default=0.02, gt=0, description="How often an idle alert dispatcher looks for work"
    )
    alerts_workers: int = Field(
        default=8, ge=1, description="Alerts the dispatcher decides and sends at once"
    )
    smtp_host: str | None = Field(
        default=None, description="SMTP server for email alerts (none: email is not sent)"
    )
    smtp_port: int = Field(default=25, ge=1, description="SMTP server port")
    smtp_sender: str = Field(
        default="sharewell@localhost", description="From address of email alerts"
    )
    smtp_starttls: bool = Field(default=False, description="Use STARTTLS with the SMTP server")
    public_base_url: str = Field(
        default="http://127.0.0.1:8000", description="Sharewell's address, for links in emails"
    )
    mash_hub_org: str = Field(
        default="CSCN", description="Organisation code of the multi-agency safeguarding hub"
    )
    mash_red_hours: int = Field(default=4, ge=1, description="MASH response time for red")
    mash_amber_hours: int = Field(default=24, ge=1, description="MASH response time for amber")
    mash_green_hours: int = Field(default=72, ge=1, description="MASH response time for green")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        if items == ["*"]:
            return "*"
        for item in items:
            try:
                # As uvicorn reads them: a network must have no host bits (10.0.0.0/8).
                if "/" in item:
                    ipaddress.ip_network(item)
                else:
                    ipaddress.ip_address(item)
            except ValueError:
                raise ValueError(
                    f"trusted_proxies: {item!r} is not an IP address or network. List addresses "
                    "or networks separated by commas (like 127.0.0.1, 10.0.0.0/8), leave it "
                    "empty to trust none, or give * alone to trust any"
                ) from None
        return ",".join(items)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_safe(self) -> None:
        """Refuse unsafe settings outside demo mode."""
        if not self.demo_mode and self.secret_key.get_secret_value() == DEMO_SECRET:
            raise ConfigurationError(
                "SHAREWELL_SECRET_KEY is the built-in demo secret. Set your own secret "
                "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))') "
                "or run in demo mode with SHAREWELL_DEMO_MODE=true."
            )
        if not self.demo_mode and len(self.secret_key.get_secret_value()) < 32:
            raise ConfigurationError("SHAREWELL_SECRET_KEY must be at least 32 characters long.")


def settings_error(exc: PydanticValidationError) -> str | None:
    """One line naming each environment variable that `Settings()` refused and why, or None if
    `exc` is not about the settings. The values given are not repeated: one may be a secret."""
    if exc.title != Settings.__name__:
        return None
    prefix = Settings.model_config.get("env_prefix", "")
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = f"{prefix}{field}".upper() if field else "a setting"
        problems.append(f"{name}: {error['msg']}")
    return "Invalid setting " + "; ".join(problems)
