"""Log output: plain text or one JSON object per line (LOG_FORMAT), and conversation ids only as hashes.

The JSON formatter is a few lines on the stdlib's logging rather than `python-json-logger`: we need five
fixed keys plus the record's extras, and that is less code to read than a dependency's options to learn.

Privacy: nothing here can tell message text from other text, so the rule is the callers' (no message
text, user names or user ids at INFO); what this module adds is
- `hash_id(value)`: a short salted hash for logging a conversation id, stable within the process run, and
  across processes and restarts once the store's salt is passed to `set_salt` (the same hashes as the
  feedback store's `conversation` column, so an operator can match a log line to a stored reaction);
- `PrivacyFilter`, on the output handler: an extra named `conversation_id` or `user_id` is logged hashed,
  and the access log's URL paths show hashed conversation and activity ids (and no connector secret).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import sys
from datetime import UTC, datetime
from typing import IO, Any

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from handlers.insights.scrub import pseudonym
from index.config import Config

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HASHED_EXTRAS = ("conversation_id", "user_id")  # extras the filter replaces by their hash

_salt = secrets.token_bytes(32)  # per process until set_salt() is given the store's salt
# What every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Conversation and activity ids in URL paths (local Direct Line, the connector routes), in the access log.
_ID_IN_PATH = re.compile(r"(/(?:conversations|activities)/)([^/?\s\"]+)")
# The local connector route carries a per-process secret in its path: never written out.
_SECRET_IN_PATH = re.compile(r"(/_connector/)[^/?\s\"]+")
# The access log keeps the network a client is in, not the client: IPv4 /24, IPv6 /48 (as web analytics
# anonymise addresses), enough to see abuse from one place.
IPV4_PREFIX, IPV6_PREFIX = 24, 48


def set_salt(salt: bytes) -> None:
    """Hash ids with `salt` from now on (the store's, so log and store hashes match)."""
    global _salt
    _salt = salt


def hash_id(value: str | None) -> str:
    """A short salted hash of an id for the log; "-" for none."""
    return pseudonym(value, _salt) if value else "-"


def extras(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a caller added with `extra=`."""
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class PrivacyFilter(logging.Filter):
    """Hashes id extras and the ids in access-log paths. Changes the record, once."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_kompetensbot_private", False):
            return True
        record._kompetensbot_private = True
        for name in HASHED_EXTRAS:
            value = record.__dict__.get(name)
            if isinstance(value, str):
                setattr(record, name, hash_id(value))
        if record.name == "aiohttp.access":  # the line, and the request line among its extras
            record.msg = _hash_path_ids(record.getMessage())
            record.args = None
            if isinstance(record.__dict__.get("first_request_line"), str):
                record.first_request_line = _hash_path_ids(record.first_request_line)
        return True


class PrivateAccessLogger(AbstractAccessLogger):
    """The access log, when asked for (KOMPETENSBOT_ACCESS_LOG=1): the client's network (its address
    truncated), the method, the path (ids hashed by PrivacyFilter), the status and the time; no user agent,
    no query string, no referrer."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %d %.3f', truncate_address(request.remote), request.method, request.path,
            response.status, time,
        )


def truncate_address(address: str | None) -> str:
    """The client's network: 203.0.113.77 -> 203.0.113.0, 2001:db8:1:2::5 -> 2001:db8:1::; "-" if unknown."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "-"
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def _hash_path_ids(text: str) -> str:
    text = _SECRET_IN_PATH.sub(r"\1[secret]", text)
    return _ID_IN_PATH.sub(lambda m: m.group(1) + hash_id(m.group(2)), text)


class _PrivateTracebacks(logging.Formatter):
    """Tracebacks name URLs too ("Max retries exceeded with url: /v3/conversations/<id>/activities"): the
    ids in them are hashed and a connector secret masked, as in access-log lines."""

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return _hash_path_ids(super().formatException(ei))


class TextFormatter(_PrivateTracebacks):
    """The classic line, with any extras appended as key=value."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = extras(record)
        if not fields:
            return line
        head, newline, rest = line.partition("\n")  # after the message, before a traceback
        pairs = " ".join(f"{key}={value}" for key, value in fields.items())
        return f"{head} {pairs}{newline}{rest}"


class JsonFormatter(_PrivateTracebacks):
    """One JSON object per record: time (UTC), level, logger, message, the extras, and a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    name = (log_format or "text").lower()
    if name not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    return JsonFormatter() if name == "json" else TextFormatter()


def setup(config: Config, stream: IO[str] | None = None) -> logging.Handler:
    """Log to `stream` (stderr) at config.log_level in config.log_format. Replaces the root's plain stream
    handlers (logging.basicConfig's, an earlier call's), so no line is written twice; other handlers, such
    as a test's capture handler, stay."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(config.log_format))
    handler.addFilter(PrivacyFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if type(h) is logging.StreamHandler]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(config.log_level.upper())
    return handler
