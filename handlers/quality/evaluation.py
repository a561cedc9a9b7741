"""Dev-set evaluation, scored exactly as ../shared/eval/README.md describes."""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from handlers.model.answer import ANSWERED, DECLINED, PARTIAL, Answer
from handlers.model.context import Context
from handlers.quality import perturb
from handlers.wording.render import body_markdown, markdown
from handlers.wording.texts import EN, SV

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
    style: str = ""  # how the question is put (nat, terse, typo, en, long, num, oos), for figures per style
    lang: str = ""  # "en" for English questions

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
    # When the bot asked back: the answer a user gets by choosing the offered section that answers (the
    # first whose answer holds the answer terms in its lead), or None when no choice does.
    chosen: Answer | None = None

    @property
    def correct(self) -> bool:
        return self.answer.answered and answer_matches(markdown(self.answer), self.case.answer_any)

    @property
    def lead_correct(self) -> bool:
        """The answer's lead (its opening, before the extras) holds what was asked: see `lead`."""
        return self.answer.answered and answer_matches(lead(markdown(self.answer)), self.case.answer_any)

    @property
    def passed(self) -> bool:
        """What the case asks for: a correct answer in scope, a decline out of scope."""
        return self.correct if self.case.in_scope else not self.answer.answered


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
                    row.get("style", ""),
                    turn.get("lang", row.get("lang", "")),
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


# Where a reply's extras begin: what the plan also says, the other places it mentions a subject, the sources.
EXTRAS = tuple(
    marker
    for texts in (SV, EN)
    for marker in (
        f"\n\n{texts.related}",
        "\n\n" + texts.also_mentions.split("{", 1)[0],
        f"\n\n{texts.source}:",
        f"\n\n{texts.sources}:",
    )
)
MAX_LEAD_CHARS = 600


def lead(reply: str) -> str:
    """The reply's lead, as ../shared/eval/README.md counts it: the text before its extras ("Planen säger
    också", the other mentions, the sources line), a first line of framing that ends with a colon skipped,
    at most 600 characters. Read off the rendered reply, as a reader (or another grader) sees it."""
    cut = min((i for i in (reply.find(m) for m in EXTRAS) if i >= 0), default=len(reply))
    text = reply[:cut].strip()
    first, _, rest = text.partition("\n")
    if first.rstrip().endswith(":") and rest.strip():
        text = rest.strip()
    return text[:MAX_LEAD_CHARS]


def run(cases: Iterable[Case], ask: AskInContext) -> list[Result]:
    """Ask every case; turns of a dialog are asked in order, each with the previous answer's context."""
    results = []
    context: Context | None = None
    dialog: str | None = None
    for case in cases:
        if case.dialog != dialog:
            context, dialog = None, case.dialog
        result = ask_case(case, ask, context)
        context = result.answer.context if case.dialog else None
        results.append(result)
    return [r for r in results if r.case.scored]


def ask_case(case: Case, ask: AskInContext, context: Context | None = None) -> Result:
    started = time.perf_counter()
    answer = ask(case.question, context)
    seconds = time.perf_counter() - started
    rank = evidence_rank(answer, case.evidence) if case.in_scope and case.evidence else None
    chosen = _choose(case, answer, ask) if answer.asks_back and case.in_scope else None
    return Result(case, answer, seconds, rank, chosen)


def _choose(case: Case, answer: Answer, ask: AskInContext) -> Answer | None:
    """What a user who recognises the right section gets by choosing it, by its number."""
    for number in range(1, len(answer.choices) + 1):
        chosen = ask(str(number), answer.context)
        if chosen.answered and answer_matches(lead(markdown(chosen)), case.answer_any):
            return chosen
    return None


def metrics(results: list[Result]) -> dict[str, float | str]:
    inside = [r for r in results if r.case.in_scope]
    outside = [r for r in results if not r.case.in_scope]
    searched = [r for r in inside if r.case.evidence]  # retrieval is scored where evidence is given
    latencies = sorted(r.seconds * 1000 for r in results)
    lengths = [len(markdown(r.answer)) for r in inside if r.answer.answered]
    # What a reader reads: the reply without its sources line.
    replies = sorted(len(body_markdown(r.answer)) for r in inside if r.answer.answered)

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
        "wrongly_declined": sum(not r.answer.answered and not r.answer.asks_back for r in inside),
        "median_answer_chars": statistics.median(lengths) if lengths else 0,
        "list_completeness": _list_completeness(inside),
        "latency_p50_ms": _percentile(latencies, 50),
        "latency_p95_ms": _percentile(latencies, 95),
        "lead_accuracy": share([r.lead_correct for r in inside]),
        "reply_chars_p50": _percentile(replies, 50),
        "reply_chars_p90": _percentile(replies, 90),
    }


def _list_completeness(results: list[Result]) -> float:
    """For questions whose expected answer has several parts (a list): the share of parts the answer has."""
    shares = [
        sum(any(str(o).lower() in markdown(r.answer).lower() for o in group) for group in r.case.answer_any)
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
        if problems := _problems(r):
            first_line = markdown(r.answer).replace("\n", " ")[:160]
            lines.append(f"{r.case.id} {r.case.question!r}: {'; '.join(problems)} -> {first_line}")
    return lines


def _problems(r: Result) -> list[str]:
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
    return problems


# --- outcomes and figures per style ---------------------------------------------------------------------


def asking_back(results: list[Result]) -> dict[str, int]:
    """How often the bot asked back instead of answering ("Menar du …?"), and how often choosing one of the
    offered sections then answered (lead and answer figures count an ask-back as not answered)."""
    inside = [r for r in results if r.case.in_scope and r.answer.asks_back]
    outside = [r for r in results if not r.case.in_scope and r.answer.asks_back]
    return {
        "asked_back_in_scope": len(inside),
        "asked_back_answered_by_a_choice": sum(r.chosen is not None for r in inside),
        "asked_back_out_of_scope": len(outside),
    }


def outcomes(results: list[Result]) -> dict[str, str]:
    """How the answers ended (answered, partial, declined), in scope and out of scope apart."""
    order = [ANSWERED, PARTIAL, DECLINED]
    figures = {}
    for name, in_scope in (("outcomes_in_scope", True), ("outcomes_out_of_scope", False)):
        counts = Counter(r.answer.outcome for r in results if r.case.in_scope == in_scope)
        if counts:
            kinds = order + sorted(set(counts) - set(order))  # an outcome the engine adds later still shows
            figures[name] = ", ".join(f"{kind} {counts[kind]}" for kind in kinds)
    return figures


@dataclass
class StyleFigures:
    style: str
    n: int
    answer_accuracy: float | None  # None: no in-scope question of this style
    lead_accuracy: float | None
    declined_correctly: float | None  # None: no out-of-scope question of this style
    wrongly_declined: int  # declined without asking back
    hit_at_3: float | None  # None: no question of this style has evidence


def by_style(results: list[Result]) -> list[StyleFigures]:
    """Figures per question style, in the order styles first appear; none when the cases have no style."""
    if all(not r.case.style for r in results):
        return []
    styles = list(dict.fromkeys(r.case.style for r in results))
    return [_style_figures(style, [r for r in results if r.case.style == style]) for style in styles]


def _style_figures(style: str, results: list[Result]) -> StyleFigures:
    inside = [r for r in results if r.case.in_scope]
    outside = [r for r in results if not r.case.in_scope]
    searched = [r for r in inside if r.case.evidence]
    return StyleFigures(
        style or "-",
        len(results),
        _share_or_none([r.correct for r in inside]),
        _share_or_none([r.lead_correct for r in inside]),
        _share_or_none([not r.answer.answered for r in outside]),
        sum(not r.answer.answered and not r.answer.asks_back for r in inside),
        _share_or_none([r.rank is not None and r.rank <= 3 for r in searched]),
    )


def style_table(figures: list[StyleFigures]) -> list[str]:
    """A compact table, one row per style ("-" where a figure does not apply); no "name: value" lines."""
    if not figures:
        return []
    width = max(5, *(len(f.style) for f in figures))
    header = f"{'n':>4} {'accuracy':>8} {'declined_ok':>11} {'wrongly_declined':>16} {'hit@3':>6} {'lead':>6}"
    lines = [f"{'style':<{width}} {header}"]
    for f in figures:
        lines.append(
            f"{f.style:<{width}} {f.n:>4} {_cell(f.answer_accuracy):>8} {_cell(f.declined_correctly):>11} "
            f"{f.wrongly_declined if f.answer_accuracy is not None else '-':>16} {_cell(f.hit_at_3):>6} "
            f"{_cell(f.lead_accuracy):>6}"
        )
    return lines


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _share_or_none(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


# --- perturbation: the same questions, typed differently ----------------------------------------------------


@dataclass
class VariantResult:
    kind: str  # one of perturb.KINDS
    original: Result
    result: Result


def run_variants(results: list[Result], ask: AskInContext, seed: int = 0) -> list[VariantResult]:
    """Ask every single question's variants (handlers/quality/perturb.py) without context.

    Dialog turns are left alone: a turn's meaning hangs on the turns before it. `seed` draws other typos
    and situations (`bot.py eval --perturb` draws a new one each run and prints it); 0 keeps the variants
    of earlier releases.
    """
    asked = []
    for original in results:
        case = original.case
        if case.dialog is not None:
            continue
        key = case.id if seed == 0 else f"{seed}:{case.id}"
        for variant in perturb.variants(key, case.question, case.lang):
            result = ask_case(replace(case, question=variant.text), ask)
            asked.append(VariantResult(variant.kind, original, result))
    return asked


def perturbation_metrics(results: list[Result], variants: list[VariantResult]) -> dict[str, float | str]:
    """Accuracy on the originals and on the variants (together and per kind), and consistency.

    Consistency: of the questions that passed in their original form (in scope: answered correctly; out of
    scope: declined), the share that pass under every one of their variants.
    """
    originals = [r for r in results if r.case.dialog is None]
    figures: dict[str, float | str] = {"perturbed_questions": len(variants)}
    kinds = [k for k in perturb.KINDS if any(v.kind == k for v in variants)]
    for label, in_scope in (("answer_accuracy", True), ("declined_correctly", False)):
        if not any(r.case.in_scope == in_scope for r in originals):
            continue
        scope = [v for v in variants if v.original.case.in_scope == in_scope]
        figures[f"original_{label}"] = _share([r.passed for r in originals if r.case.in_scope == in_scope])
        figures[f"perturbed_{label}"] = _share([v.result.passed for v in scope])
        for kind in kinds:
            figures[f"perturbed_{label}_{kind}"] = _share([v.result.passed for v in scope if v.kind == kind])
    searched = [v.result for v in variants if v.original.case.in_scope and v.original.case.evidence]
    figures["perturbed_hit@3"] = _share([r.rank is not None and r.rank <= 3 for r in searched])
    figures["consistency"] = _consistency(originals, variants, in_scope=True)
    figures["consistency_declined"] = _consistency(originals, variants, in_scope=False)
    return figures


def _consistency(originals: list[Result], variants: list[VariantResult], in_scope: bool) -> float | str:
    stable = [
        all(v.result.passed for v in variants if v.original is r)
        for r in originals
        if r.case.in_scope == in_scope and r.passed and any(v.original is r for v in variants)
    ]
    return _share(stable) if stable else "n/a"


def _share(values: list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def variant_failures(variants: list[VariantResult]) -> list[str]:
    """One line per variant that failed where its original passed: id, kind, the variant, why."""
    return [
        f"{v.original.case.id} {v.kind} {v.result.case.question!r}: {'; '.join(_problems(v.result))}"
        for v in variants
        if v.original.passed and not v.result.passed
    ]


# --- the printed report -----------------------------------------------------------------------------------


def report(
    results: list[Result], variants: list[VariantResult] | None = None, show_failures: bool = False
) -> list[str]:
    """What `bot.py eval` prints for one file: failures if asked, the metrics, then the newer figures.

    Other tools parse the `name: value` lines of `metrics`: they keep their order, and new lines come after.
    """
    variants = variants or []
    lines = [*failures(results), *variant_failures(variants)] if show_failures else []
    lines += [_line(name, value) for name, value in metrics(results).items()]
    lines += [_line(name, value) for name, value in outcomes(results).items()]
    lines += [_line(name, value) for name, value in asking_back(results).items()]
    lines += style_table(by_style(results))
    if variants:
        lines += [_line(name, value) for name, value in perturbation_metrics(results, variants).items()]
    return lines


def _line(name: str, value: object) -> str:
    return f"{name}: {value:.3f}" if isinstance(value, float) else f"{name}: {value}"


def curve(cases: list[Case], score: Callable[[str], float], steps: int = 21) -> list[str]:
    """The answerability trade-off: for thresholds across the scores seen, how many in-scope questions would
    be declined and how many off-topic ones answered (the answerability score alone, before partial
    answers decline more)."""
    scored = [(score(c.question), c.in_scope) for c in cases if c.scored]
    if not scored:
        return []
    values = sorted(s for s, _ in scored if math.isfinite(s))  # a question with no words scores -inf
    if not values:
        return []
    low, high = values[0], values[-1]
    inside = sum(1 for _, i in scored if i)
    lines = [f"curve: threshold declined_in_scope/{inside} answered_off_topic/{len(scored) - inside}"]
    for k in range(steps):
        threshold = low + (high - low) * k / (steps - 1)
        declined = sum(1 for s, i in scored if i and s < threshold)
        answered = sum(1 for s, i in scored if not i and s >= threshold)
        lines.append(f"curve {threshold:8.3f} {declined:4d} {answered:4d}")
    return lines
