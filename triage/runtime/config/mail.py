"""Mail settings: the provider, an IMAP + SMTP mailbox (checked together) and myagentmail."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, SecretStr, model_validator

from triage.domain.inbound import valid_address
from triage.runtime.config.fields import env_var

_IMAP_PORTS = {"tls": 993, "starttls": 143, "none": 143}
_SMTP_PORTS = {"tls": 465, "starttls": 587, "none": 25}


class ImapAccount(BaseModel):
    """An IMAP + SMTP mailbox, as ``Settings.imap_account`` checked it."""

    host: str
    port: int
    security: Literal["tls", "starttls", "none"]
    user: str
    password: SecretStr | None
    token_command: str | None
    address: str
    inbox_folder: str
    drafts_folder: str
    sent_folder: str
    save_sent: bool
    idle: bool
    poll_seconds: float
    max_message_bytes: int
    smtp_host: str
    smtp_port: int
    smtp_security: Literal["tls", "starttls", "none"]
    timeout: float


class MailSettings(BaseModel):
    # Mail: the provider the worker and the watcher use (triage/mail/factory.py)
    mail_provider: Literal["myagentmail", "imap"] = Field(
        "myagentmail",
        description="the mail service the worker and the watcher use: `myagentmail` or `imap` "
        "(any IMAP + SMTP mailbox, docs/mailbox.md)",
        validation_alias=env_var("TRIAGE_MAIL_PROVIDER"),
    )

    # IMAP + SMTP (triage/mail/imap/): any mailbox. Checked once, by imap_account().
    imap_host: str | None = Field(
        None, description="IMAP: the server's host name", validation_alias=env_var("TRIAGE_IMAP_HOST")
    )
    imap_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="IMAP: the port; unset: 993 with TLS, 143 otherwise",
        validation_alias=env_var("TRIAGE_IMAP_PORT"),
    )
    imap_security: Literal["tls", "starttls", "none"] = Field(
        "tls",
        description="IMAP: `tls`, `starttls` or `none`",
        validation_alias=env_var("TRIAGE_IMAP_SECURITY"),
    )
    imap_user: str | None = Field(
        None, description="IMAP (and SMTP): the login", validation_alias=env_var("TRIAGE_IMAP_USER")
    )
    # A password or app password; or, for XOAUTH2 (Google, Microsoft 365), a command that
    # prints a fresh access token: the command is configured, never the token.
    imap_password: SecretStr | None = Field(
        None,
        description="IMAP (and SMTP): a password or app password",
        validation_alias=env_var("TRIAGE_IMAP_PASSWORD"),
    )
    imap_token_command: str | None = Field(
        None,
        description="IMAP (and SMTP): for XOAUTH2 (Google, Microsoft 365), a command that prints a fresh access token",
        validation_alias=env_var("TRIAGE_IMAP_TOKEN_COMMAND"),
    )
    imap_address: str | None = Field(
        None,
        description="IMAP: the support address replies come from; unset: the login if it is an address",
        validation_alias=env_var("TRIAGE_IMAP_ADDRESS"),
    )
    imap_inbox_folder: str = Field(
        "INBOX",
        min_length=1,
        description="IMAP: the folder new mail arrives in",
        validation_alias=env_var("TRIAGE_IMAP_INBOX_FOLDER"),
    )
    imap_drafts_folder: str = Field(
        "Drafts",
        min_length=1,
        description="IMAP: the folder drafts are kept in",
        validation_alias=env_var("TRIAGE_IMAP_DRAFTS_FOLDER"),
    )
    imap_sent_folder: str = Field(
        "Sent",
        min_length=1,
        description="IMAP: the folder sent replies are filed in",
        validation_alias=env_var("TRIAGE_IMAP_SENT_FOLDER"),
    )
    # Gmail files what its SMTP sends in Sent by itself: then we must not APPEND a second copy.
    imap_save_sent: bool = Field(
        True,
        description="IMAP: file a copy of each reply in Sent (`false` for Gmail, whose SMTP does it)",
        validation_alias=env_var("TRIAGE_IMAP_SAVE_SENT"),
    )
    imap_idle: bool = Field(
        True,
        description="IMAP: wait for new mail with IDLE where the server offers it",
        validation_alias=env_var("TRIAGE_IMAP_IDLE"),
    )
    imap_poll_seconds: float = Field(
        30.0,
        gt=0,
        le=1800,
        description="IMAP: seconds between looks at the inbox without IDLE",
        validation_alias=env_var("TRIAGE_IMAP_POLL_INTERVAL"),
    )
    imap_max_message_bytes: int = Field(
        10_000_000,
        ge=10_000,
        description="IMAP: larger messages are not read; they go to review with the reason",
        validation_alias=env_var("TRIAGE_IMAP_MAX_MESSAGE_BYTES"),
    )
    smtp_host: str | None = Field(
        None,
        description="SMTP: the submission server; unset: the IMAP host",
        validation_alias=env_var("TRIAGE_SMTP_HOST"),
    )
    smtp_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="SMTP: the port; unset: 465 with TLS, 587 otherwise",
        validation_alias=env_var("TRIAGE_SMTP_PORT"),
    )
    smtp_security: Literal["tls", "starttls", "none"] | None = Field(
        None,
        description="SMTP: `tls`, `starttls` or `none`; unset: as IMAP",
        validation_alias=env_var("TRIAGE_SMTP_SECURITY"),
    )

    # myagentmail
    mail_base_url: str = Field(
        "http://127.0.0.1:8725/v1",
        description="REST base (`https://myagentmail.com/v1` for the real service)",
        validation_alias=env_var("MYAGENTMAIL_BASE_URL"),
    )
    mail_api_key: SecretStr = Field(
        SecretStr("sim-dev-key"), description="API key", validation_alias=env_var("MYAGENTMAIL_API_KEY")
    )
    mail_ws_url: str | None = Field(
        None,
        description="WebSocket; unset: derived from the base URL",
        validation_alias=env_var("MYAGENTMAIL_WS_URL"),
    )
    inbox_id: str = Field(
        "support", description="the inbox to triage", validation_alias=env_var("SUPPORT_INBOX_ID")
    )
    mail_timeout_seconds: float = Field(
        15.0, description="seconds a mail API call may take", validation_alias=env_var("MYAGENTMAIL_TIMEOUT")
    )

    def imap_account(self) -> ImapAccount:
        """The IMAP mailbox, every setting checked together; ValueError names what is wrong."""
        problems = []
        if not self.imap_host:
            problems.append("TRIAGE_IMAP_HOST is not set")
        if not self.imap_user:
            problems.append("TRIAGE_IMAP_USER is not set")
        if bool(self.imap_password and self.imap_password.get_secret_value()) == bool(
            self.imap_token_command
        ):
            problems.append("set exactly one of TRIAGE_IMAP_PASSWORD and TRIAGE_IMAP_TOKEN_COMMAND")
        user = self.imap_user or ""
        address = (self.imap_address or (user if "@" in user else "")).strip().lower()
        if not valid_address(address):
            problems.append("TRIAGE_IMAP_ADDRESS (the mailbox's own address) is not set or not an address")
        if problems:
            raise ValueError("IMAP mailbox misconfigured: " + "; ".join(problems))
        smtp_security = self.smtp_security or self.imap_security
        return ImapAccount(
            host=self.imap_host or "",
            port=self.imap_port or _IMAP_PORTS[self.imap_security],
            security=self.imap_security,
            user=self.imap_user or "",
            password=self.imap_password,
            token_command=self.imap_token_command,
            address=address,
            inbox_folder=self.imap_inbox_folder,
            drafts_folder=self.imap_drafts_folder,
            sent_folder=self.imap_sent_folder,
            save_sent=self.imap_save_sent,
            idle=self.imap_idle,
            poll_seconds=self.imap_poll_seconds,
            max_message_bytes=self.imap_max_message_bytes,
            smtp_host=self.smtp_host or self.imap_host or "",
            smtp_port=self.smtp_port or _SMTP_PORTS[smtp_security],
            smtp_security=smtp_security,
            timeout=self.mail_timeout_seconds,
        )

    @model_validator(mode="after")
    def _check_mailbox(self) -> Self:
        if self.mail_provider == "imap":
            self.imap_account()  # raises with every problem named, once, at load
        return self

    @property
    def ws_url(self) -> str:
        if self.mail_ws_url:
            return self.mail_ws_url
        base = self.mail_base_url.rstrip("/")
        scheme, rest = base.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"
