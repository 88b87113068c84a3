"""Settings from the environment (SHAREWELL_ prefix). Nothing is built at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    https: bool = Field(default=False, description="Served behind TLS: secure cookies and HSTS")
    session_minutes: int = Field(default=30, ge=1, description="Idle time before signing out")
    lockout_attempts: int = Field(default=5, ge=1, description="Failed sign-ins before lockout")
    lockout_minutes: int = Field(default=15, ge=1)
    assets_dir: Path = Field(
        default=REPO_ROOT / "node_modules",
        description="Where npm installed govuk-frontend and axe-core",
    )
    log_level: str = "INFO"
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
