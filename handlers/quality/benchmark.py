"""Latency benchmark: answer vs bare embedding of the same questions in the same run, and cold start."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from handlers.engine.qa import QA, embed_texts
from index.config import ROOT
from index.embed import embed_queries

SCRIPT = ROOT / "bot.py"  # the CLI a cold start runs
BUNDLED_QUESTIONS = 120  # without a questions file: this many of the corpus's, spread over its batches


@dataclass
class BenchResult:
    questions: int
    rounds: int
    answer_ms: list[float]
    embed_ms: list[float]
    cold_start_s: float | None

    def lines(self) -> list[str]:
        a, e = _summary(self.answer_ms), _summary(self.embed_ms)
        ratio = a["p50"] / e["p50"] if e["p50"] else float("nan")
        out = [
            f"frågor: {self.questions} × {self.rounds} varv",
            f"svar (sök + svar, inkl. embedding): p50 {a['p50']:.2f} ms  p95 {a['p95']:.2f} ms  "
            f"medel {a['mean']:.2f} ms",
            f"bara embedding av frågan:           p50 {e['p50']:.2f} ms  p95 {e['p95']:.2f} ms  "
            f"medel {e['mean']:.2f} ms",
            f"kvot svar/embedding (p50): {ratio:.2f}",
        ]
        if self.cold_start_s is not None:
            out.append(f"kallstart (process start -> första svar, index byggt): {self.cold_start_s:.2f} s")
        return out


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "mean": statistics.fmean(ordered)}


def bundled_questions(corpus_dir: Path, limit: int = BUNDLED_QUESTIONS) -> list[str]:
    """Questions that ship with the project (knowledge/corpus/), evenly spread over its batches and styles:
    what `bot.py bench` measures when no file is given."""
    rows = [
        json.loads(line)
        for path in sorted(corpus_dir.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    step = max(1, len(rows) // limit)
    return [row["q"] for row in rows[::step]][:limit]


def run_bench(qa: QA, questions: list[str], rounds: int = 3, cold_start: bool = True) -> BenchResult:
    for question in questions[:3]:  # warm caches (stemmer, decompounder) as a running server would have
        qa.answer(question)
    # The bare embedding is of what the engine embeds for each question (its analysed text), by the same call,
    # so the two lines compare like with like at any index size.
    embedded = [embed_texts(qa.analyser.analyse(q)) for q in questions]
    answer_ms, embed_ms = [], []
    for _ in range(rounds):
        for question, texts in zip(questions, embedded, strict=True):
            # Interleaved, so both measurements see the same machine state.
            started = time.perf_counter()
            embed_queries(qa.embedder, texts)
            embed_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            qa.answer(question)
            answer_ms.append((time.perf_counter() - started) * 1000)
    return BenchResult(
        len(questions), rounds, answer_ms, embed_ms, measure_cold_start() if cold_start else None
    )


def measure_cold_start() -> float:
    """Wall time of a fresh `python bot.py ask` process, start to exit, with the index already built."""
    started = time.perf_counter()
    subprocess.run([sys.executable, str(SCRIPT), "ask", "Vad gör Almi?"], check=True, capture_output=True)
    return time.perf_counter() - started
