"""Who may sign in by single sign-on, and with which role: a pure decision on verified claims.

The claims come from an ID token the API verified (signature, issuer,
audience, expiry, nonce: Authlib does that). This module only reads them:
the person's email must be verified, and they must be inside an allowed
email domain or an allowed group; members of an admin group are admins,
everyone else let in is a reviewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from triage.domain.models import Role


class SignOnRefused(Exception):
    """The identity provider vouched for someone this inbox does not let in (the reason says why)."""


class SignOnPolicy(BaseModel):
    allowed_domains: frozenset[str] = frozenset()
    allowed_groups: frozenset[str] = frozenset()
    admin_groups: frozenset[str] = frozenset()
    groups_claim: str = "groups"

    @classmethod
    def from_lists(cls, domains: str, groups: str, admins: str, groups_claim: str = "groups") -> SignOnPolicy:
        """From the comma-separated settings (``TRIAGE_OIDC_ALLOWED_DOMAINS`` and the rest)."""

        def items(text: str, lower: bool = False) -> frozenset[str]:
            return frozenset(p.strip().lower() if lower else p.strip() for p in text.split(",") if p.strip())

        return cls(
            allowed_domains=items(domains, lower=True),
            allowed_groups=items(groups),
            admin_groups=items(admins),
            groups_claim=groups_claim,
        )

    @property
    def restricted(self) -> bool:
        """Without a domain or a group, anyone the provider knows would get in."""
        return bool(self.allowed_domains or self.allowed_groups or self.admin_groups)


def _groups(claims: Mapping[str, Any], claim: str) -> set[str]:
    value = claims.get(claim)
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {g for g in value if isinstance(g, str)}
    return set()


def sign_on_identity(claims: Mapping[str, Any], policy: SignOnPolicy) -> tuple[str, Role]:
    """The name (the verified email) and role for these claims, or ``SignOnRefused``."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SignOnRefused("the identity provider gave no email address (ask for the email scope)")
    if claims.get("email_verified") is False:
        raise SignOnRefused(f"the email address {email} is not verified")
    domain = email.rpartition("@")[2].lower()
    groups = _groups(claims, policy.groups_claim)
    if not policy.restricted:
        raise SignOnRefused("sign-on lets nobody in: no allowed domain or group is configured")
    admin = bool(groups & policy.admin_groups)
    if not (admin or domain in policy.allowed_domains or groups & policy.allowed_groups):
        raise SignOnRefused(f"{email} is outside the allowed domains and groups")
    return email.lower(), Role.ADMIN if admin else Role.REVIEWER
