"""A conversation of the local Direct Line: its activities (as JSON text), watermark and size limit, and
what the local Direct Line and its token endpoint share (the paths, the token lifetime, the error body).
Split from handlers/channels/botframework/directline.py, which serves the protocol."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from aiohttp import web

LOCAL_PREFIX = "/v3/directline"
CHANNEL_ID = "webchat"
TOKEN_LIFETIME = 1800  # seconds, like Azure Direct Line tokens
# Memory is counted in JSON bytes of the stored activities (kept as JSON text, so that is what they take).
# An answer is 2-4 KB, so a conversation keeps its last ~50 turns; the page has shown them already.
MAX_CONVERSATION_BYTES = 256 * 1024


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": {"code": str(status), "message": message}}, status=status, headers=headers
    )


def parse_number(text: str) -> int | None:
    """A watermark or an id's sequence number; None unless plain ASCII digits ("²" passes isdigit)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


@dataclass
class Conversation:
    id: str
    token: str
    expires_at: float
    user_id: str = ""
    max_bytes: int = MAX_CONVERSATION_BYTES
    last_seen: float = 0.0  # the clock at the last authorised request
    engaged: bool = False  # the user has posted something (the page's join event counts)
    # As JSON text: what they take in memory is what is counted, and a poll sends them as they are.
    activities: deque[str] = field(default_factory=deque)
    bytes: int = 0  # the length of the JSON texts in `activities`
    first_index: int = 0  # the watermark of activities[0]; grows as old activities are dropped
    welcomed: bool = False
    # One turn at a time per conversation, so replies can be told which message they answer: botbuilder
    # leaves replyToId out on the webchat/directline channels, and the connector side fills it in.
    turn_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answering: str | None = None  # the id of the user's activity whose turn is running

    @property
    def watermark(self) -> int:
        return self.first_index + len(self.activities)

    def next_id(self) -> str:
        return f"{self.id}|{self.watermark:07d}"

    def append(self, activity: dict[str, Any], max_text: int | None = None) -> str:
        """Store an activity, giving it its id (`conversationId|0000n`) and timestamp; returns the id.

        The oldest activities make room (one larger than max_bytes is kept alone); the stored copy's text
        is cut at `max_text` characters, the caller's dict keeps it whole.
        """
        activity["id"] = self.next_id()
        activity.setdefault("timestamp", now_iso())
        activity["conversation"] = {"id": self.id}
        activity["channelId"] = CHANNEL_ID
        stored = activity
        if max_text is not None and isinstance(activity.get("text"), str):
            stored = {**activity, "text": activity["text"][:max_text]}
        text = json.dumps(stored, separators=(",", ":"))  # ASCII: characters are bytes
        while self.activities and self.bytes + len(text) > self.max_bytes:
            self.drop_oldest()
        self.activities.append(text)
        self.bytes += len(text)
        return activity["id"]

    def drop_oldest(self) -> None:
        self.bytes -= len(self.activities.popleft())
        self.first_index += 1

    def since(self, watermark: int) -> list[str]:
        """The activities after `watermark`, as JSON text."""
        return list(islice(self.activities, max(watermark - self.first_index, 0), None))

    def find(self, activity_id: str | None) -> dict[str, Any] | None:
        conversation_id, _, number = (activity_id or "").rpartition("|")
        index = parse_number(number)
        index = -1 if index is None else index - self.first_index
        if conversation_id != self.id or not 0 <= index < len(self.activities):
            return None
        return json.loads(self.activities[index])


class ConversationsFull(Exception):
    """No room for a new conversation without dropping a live one."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"no room for a new conversation; retry after {retry_after} s")
        self.retry_after = retry_after
