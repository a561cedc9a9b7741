"""A realistic generated month of traffic, written through the real store API (question log and feedback).

Used by the report's tests and by the screenshot script: questions over `days` days on several channels,
more on weekdays and in office hours; answered, partial and declined questions; declined questions about a
few recurring topics the plan does not cover, each asked in different words; thumbs with comments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from handlers.insights.feedback import FeedbackEntry, FeedbackStore
from handlers.insights.question_log import QuestionEntry, QuestionLog
from handlers.model import answer as outcomes

CHANNELS = (("msteams", 0.5), ("webchat", 0.4), ("directline", 0.07), ("emulator", 0.03))
OUTCOME_WEIGHTS = ((outcomes.ANSWERED, 0.72), (outcomes.PARTIAL, 0.1), (outcomes.DECLINED, 0.18))

ANSWERED = (
    ("Vad gör Almi?", ("Aktörer > Almi",)),
    ("Vilken roll har Arbetsförmedlingen?", ("Aktörer > Arbetsförmedlingen",)),
    ("Vad är Teknikcollege?", ("Aktörer > Teknikcollege",)),
    (
        "Vilka insatsområden finns för arbetsgivare?",
        ("Förbättra arbetsgivarnas strategiska arbete > Insatsområden",),
    ),
    ("Hur kan arbetet finansieras?", ("Finansiering",)),
    (
        "Vad säger planen om validering?",
        (
            "Möt arbetskraftsefterfrågan i bristyrken och regionala styrkeområden"
            " > Validering ett verktyg att nyttja",
            "Förbättra arbetsgivarnas strategiska arbete > Validering ett verktyg att nyttja",
        ),
    ),
    ("Vilka är de strategiska inriktningarna?", ("Strategiska inriktningar",)),
    ("Hur togs planen fram?", ("Avgränsning och metod > Metod",)),
    ("Vad gör länets kommuner?", ("Aktörer > Länets kommuner",)),
    ("Vad är REKO?", ("Aktörer > REKO - Region Örebro län - samverkan kommunal vuxenutbildning",)),
    ("What does Örebro University do?", ("Aktörer > Örebro universitet",)),
    (
        "Vilka utmaningar finns för vård, skola och omsorg?",
        ("Omvärld – var är vi och vart är vi på väg? > Utmaningar för vård, skola och omsorg",),
    ),
    (
        "När revideras handlingsplanen?",
        ("Utveckling är något vi skapar tillsammans > Revidering av handlingsplanen",),
    ),
    ("Vem kan jag kontakta om planen?", ("Kontakt",)),
)

PARTIAL = (
    ("Hur stor budget har planen?", ("Finansiering",)),
    ("Hur många jobbar på Almi?", ("Aktörer > Almi",)),
    ("Vad står det i Region Gävleborgs plan?", ("Sammanfattning",)),
)

# Recurring gaps: the same need, asked in different words.
DECLINED_TOPICS: dict[str, tuple[str, ...]] = {
    "lediga jobb": (
        "Finns det lediga jobb inom vården i Örebro?",
        "Var hittar jag lediga tjänster som undersköterska?",
        "Vilka jobb kan jag söka just nu i Karlskoga?",
        "Har ni några platsannonser för lärare?",
        "Jag söker jobb som lastbilschaufför, finns det något ledigt?",
        "Kan du visa aktuella jobbannonser i länet?",
    ),
    "studiemedel": (
        "Hur ansöker jag om studiemedel från CSN?",
        "Hur mycket får man i studielån per månad?",
        "Kan jag få CSN om jag läser på komvux?",
        "Vad är studiebidraget från CSN?",
        "När betalas studiemedlet ut?",
    ),
    "vädret": (
        "Vad blir vädret imorgon?",
        "Kommer det att regna i Örebro i helgen?",
        "Hur kallt blir det på fredag?",
        "Blir det sol i morgon?",
    ),
    "vårdcentral": (
        "Hur bokar jag tid på vårdcentralen?",
        "Var ringer jag för att få en läkartid?",
        "Kan jag förnya mitt recept här?",
        "Vilken vårdcentral ligger närmast mig?",
    ),
}
ONE_OFF_DECLINED = (
    "Vem vann melodifestivalen?",
    "Kan du skriva en dikt om hösten?",
    "<script>alert('x')</script> hej?",
)

LIKE_COMMENTS = ("", "", "", "Tydligt, tack!", "Precis vad jag behövde.")
DISLIKE_COMMENTS = (
    "Svaret var för långt.",
    "Jag ville veta vem jag ska ringa.",
    "Fel aktör, jag frågade om REKO.",
    "Saknar siffror & <b>belopp</b>.",
    "",
)


@dataclass
class SampleLog:
    """What was written: counts the tests compare with the report."""

    questions: list[QuestionEntry] = field(default_factory=list)
    feedback: list[FeedbackEntry] = field(default_factory=list)
    topics: dict[str, str] = field(default_factory=dict)  # declined question → its topic


def write_sample_log(
    store: FeedbackStore, log: QuestionLog, end: datetime, days: int = 30, seed: int = 7
) -> SampleLog:
    """Write a generated month of questions ending at `end` (UTC) into the store; returns what it wrote."""
    rng = random.Random(seed)
    sample = SampleLog()
    for day in range(days):
        date = end - timedelta(days=days - day)
        weekday = date.weekday() < 5
        for _ in range(rng.randint(10, 16) if weekday else rng.randint(1, 4)):
            moment = date.replace(
                hour=rng.randint(7, 15), minute=rng.randint(0, 59), second=rng.randint(0, 59)
            )
            _ask(store, log, sample, rng, moment)
    return sample


def _ask(
    store: FeedbackStore, log: QuestionLog, sample: SampleLog, rng: random.Random, moment: datetime
) -> None:
    channel = _weighted(rng, CHANNELS)
    outcome = _weighted(rng, OUTCOME_WEIGHTS)
    question, sections = _question(rng, outcome, sample)
    conversation = f"conv-{rng.randrange(10**9)}"
    entry = QuestionEntry(
        question=question,
        channel=channel,
        lang="en" if question.startswith("What") else "sv",
        outcome=outcome,
        sections=sections,
        latency_ms=rng.randint(40, 400),
        conversation_id=conversation,
        time=moment,
    )
    log.add(entry)
    sample.questions.append(entry)
    if outcome != outcomes.DECLINED and rng.random() < 0.3:
        _react(store, sample, rng, entry, moment + timedelta(seconds=rng.randint(5, 90)))


def _question(rng: random.Random, outcome: str, sample: SampleLog) -> tuple[str, tuple[str, ...]]:
    if outcome == outcomes.ANSWERED:
        return rng.choice(ANSWERED)
    if outcome == outcomes.PARTIAL:
        return rng.choice(PARTIAL)
    if rng.random() < 0.1:
        return rng.choice(ONE_OFF_DECLINED), ()
    topic = rng.choice(sorted(DECLINED_TOPICS))
    question = rng.choice(DECLINED_TOPICS[topic])
    sample.topics[question] = topic
    return question, ()


def _react(
    store: FeedbackStore, sample: SampleLog, rng: random.Random, asked: QuestionEntry, moment: datetime
) -> None:
    dislike = rng.random() < (0.6 if asked.outcome == "partial" else 0.2)
    entry = FeedbackEntry(
        reaction="dislike" if dislike else "like",
        channel=asked.channel,
        comment=rng.choice(DISLIKE_COMMENTS if dislike else LIKE_COMMENTS),
        question=asked.question,
        sections=asked.sections,
        conversation_id=asked.conversation_id,
        time=moment,
    )
    store.add(entry)
    sample.feedback.append(entry)


def _weighted(rng: random.Random, choices: tuple[tuple[str, float], ...]) -> str:
    names, weights = zip(*choices, strict=True)
    return rng.choices(names, weights)[0]
