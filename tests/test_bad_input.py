"""Every bad input gets a 4xx or a proper reply, never a 5xx, and the server lives on.

A table of malformed, huge, hostile and unexpected requests against every public route of the real app
(create_app, local mode: no app id, so the local Direct Line is served too); after each request the server
must still be healthy, and after the whole table it still answers a question.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import Start
from connector import FakeConnector
from test_server_e2e import FakeQA

from index.config import Config

pytestmark = pytest.mark.asyncio(loop_scope="session")

LOOSE = Config(rate_limit_client="100000/minute", rate_limit_conversation="100000/minute")
SERVICE_URL = "{connector}"  # replaced by the fake connector's URL


@dataclass
class Case:
    name: str
    method: str = "POST"
    path: str = "/api/messages"
    body: bytes | str | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "application/json"})

    def __str__(self) -> str:
        return self.name


def activity(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "message",
        "id": "1",
        "text": "Vad gör Almi?",
        "from": {"id": "user1", "name": "User"},
        "recipient": {"id": "bot", "name": "Kompetensbot"},
        "conversation": {"id": "conv1"},
        "channelId": "emulator",
        "serviceUrl": SERVICE_URL,
    }
    for key, value in fields.items():
        if value is DROP:
            base.pop(key, None)
        else:
            base[key] = value
    return base


DROP = object()


def post(name: str, payload: Any, path: str = "/api/messages", **headers: str) -> Case:
    body = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    return Case(name, "POST", path, body, {"Content-Type": "application/json", **headers})


def _raw_bodies() -> list[Case]:
    nested = "[" * 100_000 + "]" * 100_000
    return [
        post("empty body", b""),
        post("whitespace body", b" \n\t "),
        post("null", "null"),
        post("array", "[]"),
        post("number", "1"),
        post("string", '"hej"'),
        post("true", "true"),
        post("truncated json", '{"type": "message"'),
        post("trailing garbage", '{"type": "message"} x'),
        post("single quotes", "{'type': 'message'}"),
        post("NaN", '{"type": NaN}'),
        post("deep nesting", nested),
        post("invalid utf-8", b'{"type": "message", "text": "\xff\xfe\xfa"}'),
        post("utf-8 bom", "\ufeff" + json.dumps(activity())),
        post("nul bytes", json.dumps(activity(text="a\u0000b"))),
        post("lone surrogate", '{"type": "message", "text": "\\ud800"}'),
        post("huge body", json.dumps(activity(text="a" * 400_000))),
        post("huge number", '{"type": "message", "id": 1' + "0" * 5000 + "}"),
        post("duplicate keys", '{"type": "message", "type": "invoke"}'),
        Case("no content type", body=json.dumps(activity()), headers={}),
        Case("text/plain", body=json.dumps(activity()), headers={"Content-Type": "text/plain"}),
        Case("form", body="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        Case("multipart", body="--x--", headers={"Content-Type": "multipart/form-data; boundary=x"}),
        Case(
            "bogus charset",
            body=json.dumps(activity()),
            headers={"Content-Type": "application/json; charset=bogus"},
        ),
        Case(
            "utf-16 charset",
            body=json.dumps(activity()),
            headers={"Content-Type": "application/json; charset=utf-16"},
        ),
        # (A Content-Length that lies is left out: it desynchronises the test client's own connection.)
    ]


def _fields() -> list[Case]:
    odd_values = {"int": 1, "list": [1], "dict": {"a": 1}, "bool": True, "empty": "", "null": None}
    cases = []
    for key in (
        "type",
        "conversation",
        "channelId",
        "serviceUrl",
        "from",
        "recipient",
        "text",
        "id",
        "entities",
        "attachments",
        "timestamp",
        "locale",
        "textFormat",
        "value",
        "name",
        "deliveryMode",
        "channelData",
        "replyToId",
        "membersAdded",
        "suggestedActions",
    ):
        for label, value in odd_values.items():
            cases.append(post(f"{key} as {label}", activity(**{key: value})))
        cases.append(post(f"{key} missing", activity(**{key: DROP})))
    return cases


def _hostile() -> list[Case]:
    mention = {"type": "mention", "mentioned": {"id": "bot", "name": "(a|a)*b"}, "text": "<at>(a|a)*b</at>"}
    members = [{"id": f"m{i}", "name": "x"} for i in range(2000)]
    return [
        post("unclosed mention tags", activity(text="<at>" * 58_000)),
        post("regex mention name", activity(text="(a|a)*b" + "a" * 30, entities=[mention])),
        post(
            "malformed mention entities",
            activity(entities=[{"type": "mention"}, {"type": "mention", "mentioned": 1}]),
        ),
        post("entity without type", activity(entities=[{}])),
        post("2000 members added", activity(type="conversationUpdate", membersAdded=members, text=DROP)),
        post("members added as strings", activity(type="conversationUpdate", membersAdded=["a", "b"])),
        post(
            "teams members added",
            activity(type="conversationUpdate", channelId="msteams", membersAdded=members),
        ),
        post("file service url", activity(serviceUrl="file:///etc/passwd")),
        post("javascript service url", activity(serviceUrl="javascript:alert(1)")),
        post("service url without host", activity(serviceUrl="http://")),
        post("service url garbage", activity(serviceUrl="not a url at all")),
        post("service url gopher", activity(serviceUrl="gopher://127.0.0.1:70/")),
        post("conversation id huge", activity(conversation={"id": "c" * 100_000})),
        post("conversation id whitespace", activity(conversation={"id": "   "})),
        post("conversation id with slashes", activity(conversation={"id": "../../x"})),
        post("text huge", activity(text="fråga " * 30_000)),
        post("text only punctuation", activity(text="?!?!?!" * 1000)),
        post("text control characters", activity(text="".join(chr(i) for i in range(32)))),
        post("text html", activity(text="<script>alert(1)</script><img src=x onerror=alert(1)>")),
        post("text sql", activity(text="'; DROP TABLE feedback; --")),
        post("text format string", activity(text="%s%s%s%n {0} {__class__}")),
        post("text emoji", activity(text="🤖" * 5000)),
        post("text right-to-left", activity(text="\u202e" + "hej" * 100)),
        post(
            "attachments huge", activity(attachments=[{"contentType": "image/png", "contentUrl": "x"}] * 2000)
        ),
        post(
            "attachment card",
            activity(
                text=DROP,
                attachments=[
                    {
                        "contentType": "application/vnd.microsoft.card.adaptive",
                        "content": {"type": "AdaptiveCard"},
                    }
                ],
            ),
        ),
        post("bearer garbage", activity(), Authorization="Bearer garbage"),
        post("basic auth", activity(), Authorization="Basic dXNlcjpwYXNz"),
        post("auth header huge", activity(), Authorization="Bearer " + "a" * 6000),
    ]


def _activity_types() -> list[Case]:
    types = [
        "conversationUpdate",
        "event",
        "invoke",
        "typing",
        "endOfConversation",
        "messageReaction",
        "installationUpdate",
        "messageUpdate",
        "messageDelete",
        "trace",
        "handoff",
        "command",
        "commandResult",
        "suggestion",
        "contactRelationUpdate",
        "deleteUserData",
        "fooBar",
        "MESSAGE",
    ]
    cases = [post(f"type {t}", activity(type=t)) for t in types]
    invokes = [
        ("message/submitAction", {"actionName": "feedback", "actionValue": "x"}),
        (
            "message/submitAction",
            {"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": 1}},
        ),
        ("message/submitAction", {"actionName": "feedback", "actionValue": {"reaction": "hate"}}),
        ("message/submitAction", "string value"),
        ("signin/tokenExchange", {"token": 1}),
        ("signin/verifyState", None),
        ("healthCheck", None),
        ("adaptiveCard/action", {"action": "x"}),
        ("composeExtension/query", None),
        ("task/fetch", None),
        ("config/fetch", None),
        ("actionableMessage/executeAction", None),
        ("", None),
        ("x" * 5000, None),
    ]
    cases += [
        post(
            f"invoke {i} {n[:20]!r}",
            activity(type="invoke", name=n, value=v, channelId="msteams"),
        )
        for i, (n, v) in enumerate(invokes)
    ]
    events = [("webchat/join", {"language": "sv"}), ("webchat/join", "x"), ("unknown/event", None)]
    cases += [
        post(f"event {i} {n}", activity(type="event", name=n, value=v)) for i, (n, v) in enumerate(events)
    ]
    cases.append(post("expectReplies with service url", activity(deliveryMode="expectReplies")))
    cases.append(
        post("expectReplies without service url", activity(deliveryMode="expectReplies", serviceUrl=DROP))
    )
    cases.append(
        post("expectReplies invoke", activity(deliveryMode="expectReplies", type="invoke", name="x"))
    )
    cases.append(post("deliveryMode notification", activity(deliveryMode="notification")))
    return cases


def _other_routes() -> list[Case]:
    dl = "/v3/directline"
    return [
        Case("GET messages", "GET"),
        Case("PUT messages", "PUT", body="{}"),
        Case("DELETE messages", "DELETE"),
        Case("PATCH messages", "PATCH", body="{}"),
        Case("OPTIONS messages", "OPTIONS"),
        Case("healthz POST", "POST", "/healthz", body="{}"),
        Case("chat traversal", "GET", "/chat/../../etc/passwd"),
        Case("chat encoded traversal", "GET", "/chat/%2e%2e/%2e%2e/etc/passwd"),
        Case("chat missing file", "GET", "/chat/nothing.js"),
        Case("chat long path", "GET", "/chat/" + "a" * 3000),
        Case("unknown path", "GET", "/wp-admin/setup.php"),
        Case("unicode path", "GET", "/chat/åäö%00"),
        Case("token GET", "GET", "/api/directline/token"),
        post("token garbage body", "x", "/api/directline/token"),
        post("token array body", [], "/api/directline/token"),
        post("dl conversation garbage", "x", f"{dl}/conversations"),
        post("dl conversation bad token", {}, f"{dl}/conversations", Authorization="Bearer nope"),
        post("dl conversation user as list", {"user": [1]}, f"{dl}/conversations"),
        post("dl refresh without token", {}, f"{dl}/tokens/refresh"),
        Case("dl get unknown conversation", "GET", f"{dl}/conversations/nope"),
        Case("dl activities unknown", "GET", f"{dl}/conversations/nope/activities?watermark=-1"),
        post("dl post unknown", {"type": "message"}, f"{dl}/conversations/nope/activities"),
        post("dl upload", {}, f"{dl}/conversations/nope/upload"),
        post("connector without secret", {"type": "message"}, "/v3/conversations/nope/activities"),
        post("connector reply without secret", {"type": "message"}, "/v3/conversations/nope/activities/1"),
        Case("dl websocket", "GET", f"{dl}/conversations/nope/stream"),
    ]


CASES = _raw_bodies() + _fields() + _hostile() + _activity_types() + _other_routes()


async def test_the_table_is_large() -> None:
    assert len(CASES) >= 150
    assert len({c.name for c in CASES}) == len(CASES)


async def _send(client: TestClient, case: Case, connector: FakeConnector) -> int:
    body = case.body
    if isinstance(body, str):
        body = body.replace(SERVICE_URL, connector.url).encode("utf-8", "surrogatepass")
    elif isinstance(body, bytes):
        body = body.replace(SERVICE_URL.encode(), connector.url.encode())
    response = await client.request(case.method, case.path, data=body, headers=case.headers)
    await response.read()
    return response.status


@pytest.mark.parametrize("case", CASES, ids=str)
async def test_bad_input_gets_no_5xx(start: Start, connector: FakeConnector, case: Case) -> None:
    client = await start(FakeQA, config=LOOSE)
    status = await _send(client, case, connector)
    assert status < 500, f"{case.name}: HTTP {status}"
    health = await client.get("/healthz")
    assert health.status == 200


async def test_after_the_whole_table_the_server_still_answers(start: Start, connector: FakeConnector) -> None:
    client = await start(FakeQA, config=LOOSE)
    statuses = {case.name: await _send(client, case, connector) for case in CASES}
    assert not {n: s for n, s in statuses.items() if s >= 500}
    connector.received.clear()
    question = json.dumps(activity(conversation={"id": "after"})).replace(SERVICE_URL, connector.url)
    response = await client.post("/api/messages", data=question, headers={"Content-Type": "application/json"})
    assert response.status == 201
    [reply] = [r for r in connector.received if r["_conversation"] == "after"]
    assert reply["text"] == "SVAR på: Vad gör Almi?"
