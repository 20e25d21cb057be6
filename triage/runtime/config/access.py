"""Access settings: reviewer notifications, the reviewers and their roles, single sign-on, the API's address."""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel, Field, SecretStr

from triage.domain.models import Role
from triage.runtime.config.fields import env_var

ROLE_NAMES = frozenset(role.value for role in Role)


class ReviewerEntry(NamedTuple):
    """One ``TRIAGE_REVIEWERS`` entry."""

    name: str
    token: str
    role: Role


class AccessSettings(BaseModel):
    # Notifications and reviewers
    slack_webhook_url: SecretStr | None = Field(
        None,
        description="reviewer notifications (a log line without it)",
        validation_alias=env_var("SLACK_WEBHOOK_URL"),
    )
    public_url: str = Field(
        "http://localhost:8000",
        description="base of the deep links in notifications",
        validation_alias=env_var("TRIAGE_PUBLIC_URL"),
    )

    # Reviewer API
    reviewers: SecretStr = Field(
        SecretStr(""),
        description="the dashboard's reviewers: `name:token[:role]`, comma-separated; "
        "role `admin` or `reviewer` (the default)",
        validation_alias=env_var("TRIAGE_REVIEWERS"),
    )
    session_secret: SecretStr | None = Field(
        None,
        description="signs the dashboard's session cookies (API replicas share it); unset: a new one per start",
        validation_alias=env_var("TRIAGE_SESSION_SECRET"),
    )
    # Single sign-on (OpenID Connect): on when the issuer is set (docs/access.md)
    oidc_issuer: str | None = Field(
        None,
        description="sign-on: the OpenID provider's issuer URL; unset: tokens only",
        validation_alias=env_var("TRIAGE_OIDC_ISSUER"),
    )
    oidc_client_id: str = Field(
        "", description="sign-on: this app's client id", validation_alias=env_var("TRIAGE_OIDC_CLIENT_ID")
    )
    oidc_client_secret: SecretStr = Field(
        SecretStr(""),
        description="sign-on: this app's client secret",
        validation_alias=env_var("TRIAGE_OIDC_CLIENT_SECRET"),
    )
    oidc_scopes: str = Field(
        "openid email profile",
        description="sign-on: scopes asked for",
        validation_alias=env_var("TRIAGE_OIDC_SCOPES"),
    )
    # Who may sign in (at least one of the two): email domains, groups; comma-separated.
    oidc_allowed_domains: str = Field(
        "",
        description="sign-on: email domains allowed in, comma-separated",
        validation_alias=env_var("TRIAGE_OIDC_ALLOWED_DOMAINS"),
    )
    oidc_allowed_groups: str = Field(
        "",
        description="sign-on: groups allowed in, comma-separated",
        validation_alias=env_var("TRIAGE_OIDC_ALLOWED_GROUPS"),
    )
    oidc_admin_groups: str = Field(
        "",
        description="sign-on: members of these groups are admins; everyone else allowed in is a reviewer",
        validation_alias=env_var("TRIAGE_OIDC_ADMIN_GROUPS"),
    )
    oidc_groups_claim: str = Field(
        "groups",
        description="sign-on: the ID token claim that lists groups",
        validation_alias=env_var("TRIAGE_OIDC_GROUPS_CLAIM"),
    )
    oidc_leeway_seconds: int = Field(
        60,
        ge=0,
        le=600,
        description="sign-on: clock difference tolerated on token times",
        validation_alias=env_var("TRIAGE_OIDC_LEEWAY_SECONDS"),
    )
    api_host: str = Field(
        "127.0.0.1", description="the reviewer API's address", validation_alias=env_var("TRIAGE_API_HOST")
    )
    api_port: int = Field(
        8000, description="the reviewer API's port", validation_alias=env_var("TRIAGE_API_PORT")
    )

    def reviewer_entries(self) -> list[ReviewerEntry]:
        """``alice:TOKEN:admin,bob:TOKEN2`` -> entries; without a role, an entry is a reviewer.

        Entries that are not ``name:token[:role]`` are left out here and named by the
        API's start-up check (``starter.api.auth.token_problems``).
        """
        entries: list[ReviewerEntry] = []
        for entry in self.reviewers.get_secret_value().split(","):
            name, sep, rest = entry.strip().partition(":")
            token, role = rest.strip(), Role.REVIEWER
            head, colon, tail = token.rpartition(":")
            if colon and tail.strip() in ROLE_NAMES:
                token, role = head.strip(), Role(tail.strip())
            if sep and name.strip() and token:
                entries.append(ReviewerEntry(name=name.strip(), token=token, role=role))
        return entries

    def reviewer_tokens(self) -> dict[str, str]:
        """``alice:TOKEN,bob:TOKEN2`` -> {token: name}."""
        return {entry.token: entry.name for entry in self.reviewer_entries()}
