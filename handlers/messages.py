"""The bot's fixed texts: welcome, help and the short notices around an answer.

Swedish is the bot's language; English variants exist for users who write in English. Plain Python, no
botbuilder, so any channel (Bot Framework, CLI, tests) can use the same wording.
"""

from __future__ import annotations

from dataclasses import dataclass

EXAMPLES_SV = (
    "Vad gör Almi?",
    "Vilka insatsområden finns för arbetsgivare?",
    "Hur kan insatser finansieras?",
)
EXAMPLES_EN = (
    "What does Almi do?",
    "Which areas of action are there for employers?",
    "How can initiatives be funded?",
)


def _bullets(items: tuple[str, ...]) -> str:
    return "\n".join(f"- {item}" for item in items)


@dataclass(frozen=True)
class Texts:
    """One language's fixed texts. `truncated_note` takes the `{limit}` placeholder."""

    welcome: str
    help: str
    empty_prompt: str
    truncated_note: str
    error_apology: str
    not_ready: str


SV = Texts(
    welcome=(
        "Hej! Jag svarar på frågor om Region Örebro läns regionala handlingsplan för kompetensförsörjning: "
        "aktörernas roller, de strategiska inriktningarna och insatsområdena, och hur insatser kan "
        "finansieras.\n\n"
        f"Du kan till exempel fråga:\n{_bullets(EXAMPLES_SV)}\n\n"
        "Skriv **hjälp** om du vill veta mer. You can also ask in English."
    ),
    help=(
        "Skriv din fråga med egna ord, gärna en fråga i taget. Jag letar i Region Örebro läns regionala "
        "handlingsplan för kompetensförsörjning och svarar med planens egna formuleringar. Under svaret "
        "står vilket avsnitt och vilken sida i planen svaret kommer från.\n\n"
        "Jag svarar bara på frågor som handlingsplanen tar upp. Frågor om annat får du inget svar på, "
        "och jag hittar inte på något som inte står i planen.\n\n"
        f"Exempel:\n{_bullets(EXAMPLES_SV)}"
    ),
    empty_prompt="Skriv gärna en fråga om handlingsplanen för kompetensförsörjning, så svarar jag.",
    truncated_note=(
        "_Din fråga var mycket lång, så jag har bara använt de första {limit} tecknen. "
        "Korta gärna ner frågan om svaret inte passar._"
    ),
    error_apology="Förlåt, något gick fel när jag skulle svara. Försök gärna igen om en stund.",
    not_ready="Jag håller fortfarande på att starta. Försök igen om en liten stund.",
)

EN = Texts(
    welcome=(
        "Hello! I answer questions about Region Örebro län's regional action plan for skills supply: "
        "the roles of the actors, the strategic directions and areas of action, and how initiatives can be "
        "funded.\n\n"
        f"You could ask, for example:\n{_bullets(EXAMPLES_EN)}\n\n"
        "Type **help** to learn more."
    ),
    help=(
        "Write your question in your own words, preferably one question at a time. I search Region Örebro "
        "län's regional action plan for skills supply and answer in the plan's own words. Below each answer "
        "you will find the section and page of the plan it comes from. The plan is written in Swedish, so "
        "quotes are in Swedish.\n\n"
        "I only answer questions that the plan covers. I decline other questions, and I never make up "
        "anything the plan does not say.\n\n"
        f"Examples:\n{_bullets(EXAMPLES_EN)}"
    ),
    empty_prompt="Please write a question about the action plan for skills supply and I will answer it.",
    truncated_note=(
        "_Your question was very long, so I only used its first {limit} characters. "
        "Please shorten it if the answer does not fit._"
    ),
    error_apology="Sorry, something went wrong while I was answering. Please try again in a moment.",
    not_ready="I am still starting up. Please try again in a moment.",
)

# The Swedish texts under the names the rest of the code and tests use.
WELCOME = SV.welcome
HELP = SV.help
EMPTY_PROMPT = SV.empty_prompt
TRUNCATED_NOTE = SV.truncated_note
ERROR_APOLOGY = SV.error_apology
NOT_READY = SV.not_ready
WELCOME_EN = EN.welcome
HELP_EN = EN.help
EMPTY_PROMPT_EN = EN.empty_prompt
TRUNCATED_NOTE_EN = EN.truncated_note
ERROR_APOLOGY_EN = EN.error_apology
NOT_READY_EN = EN.not_ready


def texts(lang: str | None) -> Texts:
    """The texts for a language code ("sv", "en", "en-US", ...); Swedish unless it is English."""
    return EN if (lang or "").lower().startswith("en") else SV


def truncated_note(limit: int, lang: str | None = "sv") -> str:
    # Swedish groups thousands with a (non-breaking) space, "2 000"; English with a comma, "2,000".
    number = f"{limit:,}" if texts(lang) is EN else f"{limit:,}".replace(",", "\u00a0")
    return texts(lang).truncated_note.format(limit=number)
