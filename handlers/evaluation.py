"""Dev-set evaluation, scored exactly as ../shared/eval/README.md describes."""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from handlers.answer_types import Answer
from handlers.dialogue import Context

Ask = Callable[[str], Answer]
AskInContext = Callable[[str, Context | None], Answer]


def normalise(text: str) -> str:
    """Lower case, hyphenated line breaks joined, whitespace collapsed (the scoring rule)."""
    text = re.sub(r"(?<=\w)-\s*\n\s*(?=\w)", "", text.lower())
    return " ".join(text.split())


@dataclass
class Case:
    id: str
    question: str
    category: str
    evidence: list[str] = field(default_factory=list)
    answer_any: list[list[str]] = field(default_factory=list)
    dialog: str | None = None  # turns of one conversation share an id and are asked in order, in context

    @property
    def in_scope(self) -> bool:
        return self.category != "out_of_scope"

    @property
    def scored(self) -> bool:
        """Dialog turns without expectations only set the scene."""
        return self.dialog is None or bool(self.answer_any or self.evidence)


@dataclass
class Result:
    case: Case
    answer: Answer
    seconds: float
    rank: int | None  # 1-based rank of the first retrieved passage with evidence, within 10

    @property
    def correct(self) -> bool:
        return self.answer.answered and answer_matches(self.answer.text, self.case.answer_any)


def load_cases(path: Path) -> list[Case]:
    """Questions from a dev file; a dialog file's lines ({"id", "turns": [...]}) give one case per turn."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        dialog = row["id"] if "turns" in row else None
        for n, turn in enumerate(row.get("turns", [row])):
            cases.append(
                Case(
                    f"{row['id']}.{n + 1}" if dialog else row["id"],
                    turn["q"],
                    row.get("cat", "dialog" if dialog else ""),
                    turn.get("evidence", []),
                    turn.get("answer_any", []),
                    dialog,
                )
            )
    return cases


def evidence_rank(answer: Answer, evidence: list[str], k: int = 10) -> int | None:
    phrases = [normalise(e) for e in evidence]
    for rank, source in enumerate(answer.retrieved[:k], start=1):
        text = normalise(source.text)
        if any(p in text for p in phrases):
            return rank
    return None


def answer_matches(text: str, groups: list[list[str]]) -> bool:
    lowered = text.lower()
    return all(any(str(option).lower() in lowered for option in group) for group in groups)


def run(cases: Iterable[Case], ask: AskInContext) -> list[Result]:
    """Ask every case; turns of a dialog are asked in order, each with the previous answer's context."""
    results = []
    context: Context | None = None
    dialog: str | None = None
    for case in cases:
        if case.dialog != dialog:
            context, dialog = None, case.dialog
        started = time.perf_counter()
        answer = ask(case.question, context)
        seconds = time.perf_counter() - started
        context = answer.context if case.dialog else None
        rank = evidence_rank(answer, case.evidence) if case.in_scope and case.evidence else None
        results.append(Result(case, answer, seconds, rank))
    return [r for r in results if r.case.scored]


def metrics(results: list[Result]) -> dict[str, float | str]:
    inside = [r for r in results if r.case.in_scope]
    outside = [r for r in results if not r.case.in_scope]
    searched = [r for r in inside if r.case.evidence]  # retrieval is scored where evidence is given
    latencies = sorted(r.seconds * 1000 for r in results)
    lengths = [len(r.answer.text) for r in inside if r.answer.answered]

    def share(values: list[bool]) -> float:
        return sum(values) / len(values) if values else 0.0

    return {
        "questions": len(results),
        "hit@1": share([r.rank is not None and r.rank <= 1 for r in searched]),
        "hit@3": share([r.rank is not None and r.rank <= 3 for r in searched]),
        "hit@5": share([r.rank is not None and r.rank <= 5 for r in searched]),
        "mrr@10": sum(1 / r.rank for r in searched if r.rank) / len(searched) if searched else 0.0,
        "answer_accuracy": share([r.correct for r in inside]),
        "declined_correctly": share([not r.answer.answered for r in outside]) if outside else "n/a",
        "out_of_scope": len(outside),
        "wrongly_declined": sum(not r.answer.answered for r in inside),
        "median_answer_chars": statistics.median(lengths) if lengths else 0,
        "list_completeness": _list_completeness(inside),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
    }


def _list_completeness(results: list[Result]) -> float:
    """For questions whose expected answer has several parts (a list): the share of parts the answer has."""
    shares = [
        sum(any(str(o).lower() in r.answer.text.lower() for o in group) for group in r.case.answer_any)
        / len(r.case.answer_any)
        for r in results
        if len(r.case.answer_any) >= 2
    ]
    return sum(shares) / len(shares) if shares else 1.0


def _percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[index]


def failures(results: list[Result]) -> list[str]:
    """One line per question that missed: for reading, not for scoring."""
    lines = []
    for r in results:
        problems = []
        if r.case.in_scope:
            if r.case.evidence and (r.rank is None or r.rank > 3):
                problems.append(f"evidence rank {r.rank}")
            if not r.answer.answered:
                problems.append("declined")
            elif not r.correct:
                problems.append("answer misses " + json.dumps(r.case.answer_any, ensure_ascii=False))
        elif r.answer.answered:
            problems.append("answered an out-of-scope question")
        if problems:
            first_line = r.answer.text.replace("\n", " ")[:160]
            lines.append(f"{r.case.id} {r.case.question!r}: {'; '.join(problems)} -> {first_line}")
    return lines
