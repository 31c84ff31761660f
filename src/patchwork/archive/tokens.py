"""Tokens: only a SHA-256 of each secret is stored; secrets are never logged or shown again.

Secrets are high-entropy random strings, so a plain SHA-256 (not a slow password hash) is
the right tool: it lets a request find its token by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from patchwork.db import Database
from patchwork.db.dialect import is_transient_conflict
from patchwork.db.models import Token
from patchwork.db.types import utcnow
from patchwork.errors import InvalidInput

ROLES = ("queue", "worker", "admin")
MAX_SECRET_LENGTH = 512
# Writing last_used on every request would turn each read into a write; a minute is precise
# enough to answer "is this token still in use?".
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenError(InvalidInput, ValueError):
    """A token cannot be created, found or used; the message never contains a secret."""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: Token) -> TokenInfo:
        return cls(
            token.id,
            token.name,
            token.role,
            token.created_at,
            token.last_used_at,
            token.revoked_at,
        )


@dataclass(frozen=True)
class Principal:
    """Who is making a request: a token's id, name and role."""

    token_id: int
    name: str
    role: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


def create_token(
    db: Database, role: str, *, name: str | None = None, secret: str | None = None
) -> tuple[TokenInfo, str]:
    """Store a new token; returns its record and the secret (the only time it is available)."""
    if role not in ROLES:
        raise TokenError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    secret = generate_secret() if secret is None else secret
    if not secret or len(secret) > MAX_SECRET_LENGTH or secret != secret.strip():
        raise TokenError(
            f"a secret must be 1 to {MAX_SECRET_LENGTH} characters without surrounding spaces"
        )
    digest = hash_secret(secret)
    with db.transaction() as session:
        if name is None:
            count = session.scalar(select(func.count()).select_from(Token)) or 0
            name = _free_name(session, f"{role}-", count + 1)
        elif session.scalar(select(Token.id).where(Token.name == name)) is not None:
            raise TokenError(f"a token named {name!r} exists already")
        if session.scalar(select(Token.id).where(Token.secret_sha256 == digest)) is not None:
            raise TokenError("that secret is already in use by another token")
        token = Token(name=name, role=role, secret_sha256=digest)
        session.add(token)
        session.flush()
        return TokenInfo.of(token), secret


def _free_name(session: Session, prefix: str, start: int) -> str:
    number = start
    while session.scalar(select(Token.id).where(Token.name == f"{prefix}{number}")) is not None:
        number += 1
    return f"{prefix}{number}"


def list_tokens(db: Database) -> list[TokenInfo]:
    with db.reading() as session:
        return [TokenInfo.of(t) for t in session.scalars(select(Token).order_by(Token.id)).all()]


def revoke_token(db: Database, name: str) -> TokenInfo:
    with db.transaction() as session:
        token = session.scalars(select(Token).where(Token.name == name)).first()
        if token is None:
            raise TokenError(f"no token named {name!r}")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
        session.flush()
        return TokenInfo.of(token)


def authenticate(db: Database, secret: str | None) -> Principal | None:
    """The live token whose secret this is, or ``None``; role checks are the caller's."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    digest = hash_secret(secret)
    with db.reading() as session:
        token = session.scalars(select(Token).where(Token.secret_sha256 == digest)).first()
        # The lookup is by hash, so its timing reveals nothing about the secret; the
        # constant-time comparison guards against a database that matched loosely.
        if token is None or not hmac.compare_digest(token.secret_sha256, digest):
            return None
        if token.revoked_at is not None:
            return None
        principal = Principal(token.id, token.name, token.role)
        stale = token.last_used_at is None or utcnow() - token.last_used_at > LAST_USED_RESOLUTION
    if stale:
        try:
            with db.transaction() as session:
                session.execute(
                    update(Token)
                    .where(Token.id == principal.token_id)
                    .values(last_used_at=utcnow())
                )
        except DBAPIError as exc:
            # last_used is advisory: under a burst of requests with one token, MySQL may
            # pick this UPDATE as a deadlock victim (job events hold the row's FK lock);
            # the request itself must not fail for it.
            if not is_transient_conflict(exc):
                raise
    return principal
