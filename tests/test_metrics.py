"""GET /metrics: Prometheus text from a real aiohttp server, one registry per app."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from handlers.channels.botframework import metrics_route
from handlers.operations.metrics import Metrics

session_loop = pytest.mark.asyncio(loop_scope="session")

EXPECTED = {
    "kompetensbot_answers": "counter",
    "kompetensbot_answer_latency_seconds": "histogram",
    "kompetensbot_failed_replies": "counter",
    "kompetensbot_rate_limited_requests": "counter",
    "kompetensbot_index_generation": "gauge",
    "kompetensbot_feedback": "counter",
    "process_resident_memory_bytes": "gauge",
}


async def scrape(client: TestClient, accept: str | None = None) -> tuple[str, str]:
    response = await client.get("/metrics", headers={"Accept": accept} if accept else {})
    assert response.status == 200
    return response.headers["Content-Type"], await response.text()


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@session_loop
async def test_metrics_are_served_in_prometheus_format() -> None:
    app = web.Application()
    metrics = metrics_route.add_routes(app)
    metrics.answer("answered", "msteams", 0.042)
    metrics.answer("declined", "webchat", 0.3)
    metrics.answer("partial", "forged-channel-id", None)  # a client's channelId makes no new series
    metrics.failed_reply("msteams")
    metrics.refused("/api/messages")
    metrics.refused("/api/messages")
    metrics.feedback_given("dislike", "webchat")
    metrics.set_index_generation(3)
    async with TestClient(TestServer(app)) as client:
        content_type, text = await scrape(client)
    assert content_type.startswith("text/plain; version=0.0.4")
    families = {f.name: f.type for f in text_string_to_metric_families(text)}
    assert {name: families.get(name) for name in EXPECTED} == EXPECTED
    values = samples(text)
    assert values[("kompetensbot_answers_total", (("channel", "msteams"), ("outcome", "answered")))] == 1
    assert values[("kompetensbot_answers_total", (("channel", "webchat"), ("outcome", "declined")))] == 1
    assert values[("kompetensbot_answers_total", (("channel", "other"), ("outcome", "partial")))] == 1
    assert values[("kompetensbot_answers_total", (("channel", "msteams"), ("outcome", "partial")))] == 0
    assert "forged-channel-id" not in text
    latency = ("kompetensbot_answer_latency_seconds_bucket", (("channel", "msteams"), ("le", "0.05")))
    assert values[latency] == 1
    assert values[("kompetensbot_answer_latency_seconds_count", (("channel", "webchat"),))] == 1
    assert values[("kompetensbot_failed_replies_total", (("channel", "msteams"),))] == 1
    assert values[("kompetensbot_rate_limited_requests_total", (("route", "/api/messages"),))] == 2
    assert values[("kompetensbot_feedback_total", (("channel", "webchat"), ("reaction", "dislike")))] == 1
    assert values[("kompetensbot_index_generation", ())] == 3


@session_loop
async def test_openmetrics_when_the_scraper_asks_for_it() -> None:
    app = web.Application()
    metrics_route.add_routes(app)
    async with TestClient(TestServer(app)) as client:
        content_type, text = await scrape(client, "application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert text.rstrip().endswith("# EOF")


@session_loop
async def test_each_app_counts_its_own() -> None:
    first, second = web.Application(), web.Application()
    metrics_route.add_routes(first).answer("answered", "msteams")
    metrics_route.add_routes(second, Metrics())
    async with TestClient(TestServer(first)) as a, TestClient(TestServer(second)) as b:
        key = ("kompetensbot_answers_total", (("channel", "msteams"), ("outcome", "answered")))
        assert samples((await scrape(a))[1])[key] == 1
        assert samples((await scrape(b))[1])[key] == 0
