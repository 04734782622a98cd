"""Every setting of a Lyceum instance, read from `LYCEUM_*` environment variables.

Each field's description is the documentation: the README lists every one of them, and a test
fails when one is missing there.
"""

from __future__ import annotations

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LYCEUM_", frozen=True, extra="ignore")

    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public URL the instance is known by; every absolute URL and id is built "
        "from it, never from the request's Host header.",
    )
    data_dir: Path = Field(
        Path("data"),
        description="Directory for the SQLite database, uploaded media and the generated secret.",
    )
    database_url: str = Field(
        "",
        description="Database URL (`sqlite:///path` or `postgres://user:pass@host:5432/db`). "
        "Empty means a SQLite file `lyceum.sqlite3` in the data directory.",
    )
    secret_key: str = Field(
        "",
        description="Key that signs session cookies and tokens. Empty means a random key "
        "generated once and kept in `DATA_DIR/secret_key`. Set it when running several hosts.",
    )
    host: str = Field("127.0.0.1", description="Address `lyceum serve` binds to.")
    port: int = Field(8000, description="Port `lyceum serve` listens on.")
    web_processes: int = Field(1, ge=1, description="Number of web processes `lyceum serve` runs.")
    embedded_worker: bool = Field(
        True,
        description="Run the worker (deliveries, inbox, mail, digests) inside the web process. "
        "Turn off when separate "
        "`lyceum worker` processes run.",
    )
    log_level: str = Field("info", description="Logging level: debug, info, warning or error.")
    log_format: str = Field(
        "text",
        pattern="^(text|json)$",
        description="How `lyceum serve` and `lyceum worker` write their log: `text` lines, or "
        "`json`, one object per line with time, level, logger, message and exception.",
    )

    smtp_host: str = Field(
        "",
        description="SMTP server for outgoing mail (notifications, digests, password resets). "
        "Empty means mail is "
        "written to the log instead of sent.",
    )
    smtp_port: int = Field(25, description="SMTP port.")
    smtp_username: str = Field("", description="SMTP user name; empty for no authentication.")
    smtp_password: str = Field("", description="SMTP password.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_tls: bool = Field(False, description="Connect to the SMTP server over TLS (port 465).")
    mail_from: str = Field(
        "", description="Sender address of outgoing mail. Empty means `lyceum@<base host>`."
    )

    mail_batch_size: int = Field(
        100,
        ge=1,
        le=10000,
        description="Queued mails a worker claims at once and sends over one SMTP connection.",
    )
    mail_max_attempts: int = Field(
        8,
        ge=1,
        le=100,
        description="Tries before a queued mail is given up (shown in /admin/mail); a permanent "
        "(5xx) refusal gives it up at once.",
    )
    digest_batch_size: int = Field(
        500,
        ge=1,
        le=100000,
        description="Members whose digest is due that the worker's digest scheduler handles "
        "per round.",
    )
    max_upload_bytes: int = Field(
        5 * 1024 * 1024, description="Largest accepted image upload (avatar, banner), in bytes."
    )
    max_form_bytes: int = Field(
        64 * 1024, description="Largest accepted form body without a file, in bytes."
    )
    max_post_chars: int = Field(20000, description="Longest accepted post body, in characters.")
    page_size: int = Field(20, ge=1, le=200, description="Items per page in lists and feeds.")
    page_cache_seconds: float = Field(
        10.0,
        ge=0,
        description="How long a web process keeps a page rendered for visitors who are not "
        "logged in (front page, group and thread pages, hashtags, group outbox pages), and a "
        "group's top helpers, to answer the next ones from memory. A change empties the cache "
        "of the process that made it at once; other processes show it within this time. 0 "
        "turns the cache off.",
    )
    search_language: str = Field(
        "english",
        pattern=r"^[a-z_]{1,63}$",
        description="Language of the search index: a PostgreSQL text search configuration "
        "(`english`, `simple`, `french`, …); on SQLite, `english` adds Porter stemming and any "
        "other value indexes words as written. Set it before `lyceum migrate`; after changing "
        "it, run `lyceum search-reindex`.",
    )

    rate_limit_storage: str = Field(
        "memory://",
        description="Where rate-limit counters live (`memory://`, or `redis://host:6379` when "
        "several web processes must share them).",
    )
    login_rate_limit: str = Field(
        "10/minute", description="Log-in attempts allowed per client address and per account."
    )
    signup_rate_limit: str = Field("5/hour", description="Sign-ups allowed per client address.")
    post_rate_limit: str = Field("30/minute", description="Posts and replies allowed per member.")
    report_rate_limit: str = Field("10/hour", description="Reports a member may file.")
    inbox_actor_rate_limit: str = Field(
        "300/minute",
        description="Activities the inbox accepts from one remote actor (counted after the "
        "signature is verified); more are answered 429 with Retry-After.",
    )
    inbox_domain_rate_limit: str = Field(
        "1200/minute",
        description="Activities the inbox accepts from all the actors of one domain together.",
    )
    session_days: int = Field(
        30,
        ge=1,
        le=365,
        description="How long a log-in lasts after the browser was last seen, in days. Sessions "
        "are stored in the database: logging out ends one at once.",
    )
    metrics_token: str = Field(
        "",
        description="A secret that turns on `/metrics` (Prometheus format): the scraper sends "
        "it as `Authorization: Bearer TOKEN`. Empty: no metrics are served.",
    )
    worker_metrics_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="Port on which `lyceum worker` serves `/metrics` (on LYCEUM_HOST, with "
        "LYCEUM_METRICS_TOKEN): its delivery attempts by outcome, and the queues. 0: none.",
    )
    trust_proxy_headers: bool = Field(
        False,
        description="Take the client address from X-Forwarded-For (set it behind your reverse "
        "proxy, never when clients reach Lyceum directly).",
    )
    trusted_proxies: str = Field(
        "127.0.0.1,::1",
        description="Comma-separated addresses or networks (e.g. `10.0.0.0/8`) of the reverse "
        "proxies in front of Lyceum. With `TRUST_PROXY_HEADERS`, X-Forwarded-For counts only on "
        "requests from one of them, and the client is its right-most entry that is not one.",
    )

    federation_allow_http: bool = Field(
        False,
        description="Let the fetcher and delivery use plain http:// peers (tests and closed LANs "
        "only; production federation is https).",
    )
    federation_allowed_networks: str = Field(
        "",
        description="Comma-separated networks (e.g. `127.0.0.0/8,10.0.0.0/8`) that remote fetches "
        "and deliveries may reach although they are loopback or private. Empty refuses them all.",
    )
    federation_ca_bundle: str = Field(
        "",
        description="Path of an extra PEM CA bundle trusted for peers' TLS, besides the system "
        "store (for internal CAs).",
    )
    delivery_lease_seconds: int = Field(
        20,
        ge=1,
        description="How long a worker's claim on a delivery, inbox or outgoing mail row lasts "
        "without renewal; a working worker renews it every third of this, and the rows of one "
        "that died are taken up again once it has passed.",
    )
    delivery_concurrency: int = Field(
        128,
        ge=1,
        le=1024,
        description="Deliveries one worker process has in flight at once (at most 8 to one "
        "server); each holds a leased row, so a worker killed mid-send sends at most this many "
        "twice.",
    )
    delivery_signing_processes: int = Field(
        1,
        ge=0,
        le=16,
        description="Helper processes a worker process (embedded or `lyceum worker`) signs its "
        "deliveries in, so that it uses another core while it sends; 0 signs in the worker's "
        "own process.",
    )
    worker_poll_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="How often an idle worker looks for new deliveries, inbox activities, "
        "queued mail and due digests, in seconds.",
    )
    signature_window_seconds: int = Field(
        3600,
        ge=30,
        description="How far an incoming signed request's Date (or `created`) may be from now.",
    )
    media_proxy_max_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Largest remote image (avatar, icon) the media proxy fetches and serves, in "
        "bytes; larger ones are refused while streaming.",
    )
    media_cache_max_mb: int = Field(
        512,
        ge=1,
        description="Disk space the media proxy's cache (`DATA_DIR/media-cache`) may use, in MB; "
        "the least recently used images are deleted beyond it.",
    )
    require_signed_fetch: bool = Field(
        False,
        description="Answer ActivityPub GETs only when signed (actor and key documents stay "
        "public so peers can verify us).",
    )

    @field_validator("base_url")
    @classmethod
    def _base_url_is_absolute(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL such as https://lyceum.example")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("must not have a path, query or fragment")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator(
        "login_rate_limit",
        "signup_rate_limit",
        "post_rate_limit",
        "report_rate_limit",
        "inbox_actor_rate_limit",
        "inbox_domain_rate_limit",
    )
    @classmethod
    def _rate_limit_rule(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError("must be a rate such as 10/minute or 5 per hour") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses_or_networks(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
        return ",".join(entries)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in ("debug", "info", "warning", "error"):
            raise ValueError("must be debug, info, warning or error")
        return value.lower()

    @property
    def domain(self) -> str:
        """The host (and port, when not the default) that names this instance: `name@domain`."""
        return urlsplit(self.base_url).netloc

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite://{(self.data_dir / 'lyceum.sqlite3').resolve()}"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def media_cache_dir(self) -> Path:
        return self.data_dir / "media-cache"

    @cached_property
    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key

    @property
    def resolved_mail_from(self) -> str:
        return self.mail_from or f"lyceum@{urlsplit(self.base_url).hostname}"

    def url(self, path: str) -> str:
        """Absolute URL of a path on this instance."""
        return self.base_url + path
