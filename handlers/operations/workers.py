"""Several server processes on one port (`--workers N`, KOMPETENSBOT_WORKERS).

One Python process answers with one core for everything that holds the GIL (HTTP, botbuilder, analysis), so
N processes share the port: each binds it with SO_REUSEPORT and the kernel spreads connections over them.
This parent forks them, gives each its share of the cores for the embedder's OpenMP threads, restarts one
that dies, and passes SIGTERM/SIGINT on (each worker then shuts down gracefully).

Only with a shared conversation state store: with "memory" each process keeps its own conversations, and a
follow-up that lands on another process would lose what it follows up on. Plain Python: no channel SDK.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from handlers.operations import metrics
from index.config import Config

log = logging.getLogger(__name__)

# A worker that dies sooner than this after its start is not restarted: it would only die again (a port
# in use, a broken configuration); the others are stopped and the parent fails.
MIN_UPTIME_SECONDS = 10.0
# How long workers get to finish after SIGTERM before they are killed (their own grace period is shorter).
STOP_SECONDS = 9.0
POLL_SECONDS = 0.1
_PR_SET_PDEATHSIG = 1  # prctl(2): a signal for the child when its parent dies


class WorkersRefused(RuntimeError):
    """`--workers` cannot be used with this configuration; the message says why and what to do."""


def check_workers(config: Config) -> None:
    """Refuse more than one worker without a shared conversation state store."""
    if config.workers < 1:
        raise WorkersRefused(f"--workers måste vara minst 1 (KOMPETENSBOT_WORKERS), inte {config.workers}.")
    if config.workers > 1 and config.state == "memory":
        raise WorkersRefused(
            f"--workers {config.workers} kräver ett delat lager för samtalens tillstånd: med "
            "KOMPETENSBOT_STATE=memory har varje process sina egna samtal, så en följdfråga som hamnar i en "
            "annan process tappar sammanhanget. Sätt KOMPETENSBOT_STATE=blob (med "
            "KOMPETENSBOT_BLOB_CONNECTION_STRING), eller kör en process. / --workers needs shared "
            "conversation state (KOMPETENSBOT_STATE=blob): memory state is per process."
        )


@dataclass
class Supervisor:
    """Forks `count` workers running serve_one() and keeps them running until told to stop."""

    count: int
    serve_one: Callable[[], None]
    min_uptime: float = MIN_UPTIME_SECONDS
    metrics_folder: Path | None = None  # where the workers' metrics meet; None: a temporary folder
    children: dict[int, float] = field(default_factory=dict)  # pid -> when it started
    stopping: float | None = None  # when the stop signal came
    failed: bool = False

    def run(self) -> int:
        # One scrape of /metrics, whichever worker takes it, counts every worker's answers.
        shared = metrics.share_between_processes(self.metrics_folder)
        try:
            return self._supervise()
        finally:
            if self.metrics_folder is None:
                shutil.rmtree(shared, ignore_errors=True)

    def _supervise(self) -> int:
        for _ in range(self.count):
            self._spawn()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        while self.children:
            self._reap()
            if self.stopping is not None and time.monotonic() - self.stopping > STOP_SECONDS:
                self._signal_all(signal.SIGKILL)
            time.sleep(POLL_SECONDS)
        return 1 if self.failed else 0

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(_run_child(self.serve_one, self.count))
        self.children[pid] = time.monotonic()

    def _reap(self) -> None:
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            started = self.children.pop(pid, None)
            metrics.worker_stopped(pid)
            if started is None or self.stopping is not None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if time.monotonic() - started < self.min_uptime:
                log.error("Worker %d stopped at start (exit %d); stopping the others.", pid, code)
                self.failed = True
                self._stop(signal.SIGTERM, None)
            else:
                log.warning("Worker %d stopped (exit %d); starting another.", pid, code)
                self._spawn()

    def _stop(self, signum: int, frame: object) -> None:
        if self.stopping is None:
            self.stopping = time.monotonic()
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, signum: int) -> None:
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):  # already gone, not yet reaped
                os.kill(pid, signum)


def _run_child(serve_one: Callable[[], None], count: int) -> int:
    """In a fresh worker: its own process group (Ctrl-C reaches the parent, which passes it on once), its
    share of the cores, and an end when the parent dies."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setpgid(0, 0)
    _die_with_parent()
    # The embedder's OpenMP threads: N processes each using every core would oversubscribe them.
    os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // count))
    try:
        serve_one()
    except BaseException:  # noqa: BLE001 - a worker reports and exits; the parent decides what follows
        log.exception("Worker %d failed", os.getpid())
        return 1
    return 0


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: a killed parent leaves its workers to the operator
        pass


def serve(config: Config, serve_one: Callable[[], None]) -> int:
    """Run config.workers processes of serve_one(), which must bind its port with SO_REUSEPORT."""
    check_workers(config)
    log.info("Starting %d workers on port %d", config.workers, config.port)
    return Supervisor(config.workers, serve_one, metrics_folder=config.metrics_folder).run()
