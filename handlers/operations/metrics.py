"""Prometheus metrics (prometheus-client): what the bot answered, how fast, what failed, what was refused.

One `Metrics` per app, each with its own CollectorRegistry rather than the library's global one, so that
several apps in one process (the tests) do not collide and each counts only its own traffic.

Label values that come from callers (channel ids, reactions) are mapped onto a fixed set: a client
choosing `channelId` must not be able to create new time series without bound.

Several worker processes (`--workers N`, handlers/operations/workers.py): prometheus-client's multiprocess
mode. Before the workers start, `share_between_processes` names a folder (PROMETHEUS_MULTIPROC_DIR, emptied
first) that every worker's counters and histograms write to, one file per process; a scrape, whichever worker
takes it, sums them all (`MultiProcessCollector`). The index generation is the oldest a live worker serves;
the per-process collectors (memory, CPU) are left out there, as they would describe only the worker scraped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    multiprocess,
    values,
)
from prometheus_client.exposition import choose_encoder

from handlers.model.answer import OUTCOMES, REACTIONS

NAMESPACE = "kompetensbot"
CHANNELS = ("msteams", "webchat", "directline", "emulator", "test", "cli")
OTHER = "other"
# Answers take ~10-250 ms; the tail buckets show a stalled engine or an overloaded host.
BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SHARED_FOLDER = "PROMETHEUS_MULTIPROC_DIR"  # prometheus-client's own setting, read by the library itself


def share_between_processes(folder: Path | None = None) -> Path:
    """In the parent of the workers, before they start: the folder their metrics are written to (emptied
    first; a new temporary one if None), named in the environment they inherit."""
    if folder is None:
        folder = Path(tempfile.mkdtemp(prefix="kompetensbot-metrics-"))
    shutil.rmtree(folder, ignore_errors=True)  # counts of an earlier run must not add to this one's
    folder.mkdir(parents=True, exist_ok=True)
    os.environ[SHARED_FOLDER] = str(folder)
    # Metrics made from now on (in the forked workers) write to the folder; the library chose its value class
    # when it was imported, before the folder was named.
    values.ValueClass = values.get_value_class()
    return folder


def worker_stopped(pid: int) -> None:
    """A worker has exited: its live gauges no longer count (its counters still do)."""
    if os.environ.get(SHARED_FOLDER):
        multiprocess.mark_process_dead(pid)


def _shared() -> bool:
    return bool(os.environ.get(SHARED_FOLDER))


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
            Gauge,
            "index_generation",
            "Generation of the index served; changes when a rebuild is swapped in",
            multiprocess_mode="livemin",  # several workers: the oldest one still serves
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
        if not _shared():
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
        registry = self.registry
        if _shared():  # every worker's, summed from their files
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return encode(registry), content_type
