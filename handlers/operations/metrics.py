"""Prometheus metrics (prometheus-client): what the bot answered, how fast, what failed, what was refused.

One `Metrics` per app, each with its own CollectorRegistry rather than the library's global one, so that
several apps in one process (the tests) do not collide and each counts only its own traffic.

Label values that come from callers (channel ids, reactions) are mapped onto a fixed set: a client
choosing `channelId` must not be able to create new time series without bound.

Several worker processes (`--workers N`): each process has its own registry, so a scrape sees the worker
that happened to take it. prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, one file per
process, `MultiProcessCollector` at scrape time) is the way to sum them; until then, run one worker per
container and let Prometheus scrape each container.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder

from handlers.model.answer import OUTCOMES, REACTIONS

NAMESPACE = "kompetensbot"
CHANNELS = ("msteams", "webchat", "directline", "emulator", "test", "cli")
OTHER = "other"
# Answers take ~10-250 ms; the tail buckets show a stalled engine or an overloaded host.
BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _known(value: str | None, known: tuple[str, ...]) -> str:
    value = (value or "").lower()
    return value if value in known else OTHER


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))

    def __post_init__(self) -> None:
        def labelled(kind: type, name: str, doc: str, labels: tuple[str, ...] = (), **kwargs: Any) -> Any:
            return kind(name, doc, labels, namespace=NAMESPACE, registry=self.registry, **kwargs)

        self.answers = labelled(Counter, "answers", "Answers, by outcome and channel", ("outcome", "channel"))
        self.answer_latency = labelled(
            Histogram, "answer_latency_seconds", "Time to compose an answer", ("channel",), buckets=BUCKETS
        )
        self.failed_replies = labelled(
            Counter, "failed_replies", "Replies that could not be delivered to the channel", ("channel",)
        )
        self.rate_limited = labelled(
            Counter, "rate_limited_requests", "Requests refused with 429, by route", ("route",)
        )
        self.index_generation = labelled(
            Gauge, "index_generation", "Generation of the index served; changes when a rebuild is swapped in"
        )
        self.feedback = labelled(
            Counter, "feedback", "Thumbs feedback, by reaction and channel", ("reaction", "channel")
        )
        # Every known series at 0 from the start: rate() and dashboards see a series before its first event.
        for channel in (*CHANNELS, OTHER):
            self.failed_replies.labels(channel)
            self.answer_latency.labels(channel)
            for outcome in OUTCOMES:
                self.answers.labels(outcome, channel)
            for reaction in REACTIONS:
                self.feedback.labels(reaction, channel)
        ProcessCollector(registry=self.registry)  # memory, CPU time, open files of this process
        PlatformCollector(registry=self.registry)  # the Python version

    def answer(self, outcome: str, channel: str | None, seconds: float | None = None) -> None:
        """One answer: its outcome ("answered", "partial", "declined") and, if measured, its latency."""
        channel = _known(channel, CHANNELS)
        self.answers.labels(_known(outcome, OUTCOMES), channel).inc()
        if seconds is not None:
            self.answer_latency.labels(channel).observe(seconds)

    def failed_reply(self, channel: str | None) -> None:
        self.failed_replies.labels(_known(channel, CHANNELS)).inc()

    def refused(self, route: str) -> None:
        """A request refused by a rate limit; `route` is the route's name or template, never the path."""
        self.rate_limited.labels(route).inc()

    def feedback_given(self, reaction: str, channel: str | None) -> None:
        self.feedback.labels(_known(reaction, REACTIONS), _known(channel, CHANNELS)).inc()

    def set_index_generation(self, generation: float) -> None:
        self.index_generation.set(generation)

    def exposition(self, accept: str | None = None) -> tuple[bytes, str]:
        """The metrics as the scraper asks (Prometheus text or OpenMetrics), and their content type."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type
