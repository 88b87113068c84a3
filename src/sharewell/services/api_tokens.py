"""API tokens: an IG lead creates (shown once), lists and revokes their organisation's tokens;
the API authenticates `Authorization: Bearer <token>` by its digest."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from sharewell.domain.api_tokens import TOKEN_PREFIX, ApiToken, Scope, digest
from sharewell.domain.audit import AuditEvent, AuditKind
from sharewell.domain.errors import NotFound, PermissionDenied, ValidationError
from sharewell.domain.times import utcnow
from sharewell.domain.vocabulary import Role
from sharewell.services.governance import Actor
from sharewell.services.ports import AuditLog


class ApiTokenStore(Protocol):
    """Where token digests live."""

    def add(self, token: ApiToken, token_digest: str) -> None: ...

    def get(self, token_id: str) -> ApiToken | None: ...

    def for_org(self, org: str) -> Sequence[ApiToken]: ...

    def by_digest(self, token_digest: str) -> ApiToken | None: ...

    def revoke(self, token_id: str, at: datetime) -> None: ...

    def touch(self, token_id: str, at: datetime) -> None: ...


def _ig_lead(actor: Actor) -> str:
    if actor.role is not Role.IG_LEAD or actor.org is None:
        raise PermissionDenied("Only an information governance lead manages API tokens")
    return actor.org


def _audit(audit: AuditLog, actor: Actor, at: datetime, outcome: str, token_id: str) -> None:
    audit.append(
        AuditEvent(
            kind=AuditKind.API_TOKEN,
            at=at,
            actor_id=actor.id,
            actor_org=actor.org,
            outcome=outcome,
            refs={"api_token": token_id},
        )
    )


def create_token(
    store: ApiTokenStore,
    audit: AuditLog,
    *,
    actor: Actor,
    name: str,
    scopes: Collection[Scope],
    at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for the IG lead's organisation, acting as the IG lead; the secret is returned
    once and only its digest is kept."""
    org = _ig_lead(actor)
    at = at or utcnow()
    if not name.strip():
        raise ValidationError("Give the token a name", field="name")
    if not scopes:
        raise ValidationError("Choose at least one scope", field="scopes")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=uuid.uuid4().hex,
        org=org,
        name=name.strip(),
        scopes=frozenset(scopes),
        practitioner_id=actor.id,
        created_by=actor.id,
        created_at=at,
    )
    _audit(audit, actor, at, "created", token.id)
    store.add(token, digest(secret))
    return token, secret


def list_tokens(store: ApiTokenStore, *, actor: Actor) -> list[ApiToken]:
    """The organisation's tokens, newest first (never their secrets)."""
    org = _ig_lead(actor)
    return sorted(store.for_org(org), key=lambda t: t.created_at, reverse=True)


def revoke_token(
    store: ApiTokenStore,
    audit: AuditLog,
    token_id: str,
    *,
    actor: Actor,
    at: datetime | None = None,
) -> ApiToken:
    """Revoke a token of the IG lead's organisation; it stops working at once."""
    org = _ig_lead(actor)
    at = at or utcnow()
    token = store.get(token_id)
    if token is None or token.org != org:
        raise NotFound("There is no such token", field="token")
    if not token.active:
        raise ValidationError("This token is already revoked", field="token")
    _audit(audit, actor, at, "revoked", token.id)
    store.revoke(token.id, at)
    return token.revoked(at)


def authenticate(
    store: ApiTokenStore, secret: str, *, at: datetime | None = None
) -> ApiToken | None:
    """The active token with this secret (its last-used time moved on), or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = store.by_digest(digest(secret))
    if token is None or not token.active:
        return None
    store.touch(token.id, at or utcnow())
    return token
