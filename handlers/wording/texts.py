"""Everything the bot says that the plan does not: one `Texts` per language, and `pick`, the one place that
chooses the language of a reply.

Welcome, help and the notices around an answer; the framing of an answer (its lead, "Planen säger också:",
the sources heading); the decline; the sentences that say what the plan does not give. Swedish is the bot's
language; English variants exist for users who write in English. Plain Python, no botbuilder, so any channel
(Bot Framework, CLI, tests) uses the same wording. The per-language vocabulary that understanding matches
(cue words and what each says the plan lacks) lives with the cues, not here.
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
    """One language's fixed texts. Placeholders in braces are filled by the caller."""

    lang: str  # "sv" or "en"
    examples: tuple[str, ...]  # example questions, offered as buttons under the welcome and help
    welcome: str
    help: str
    empty_prompt: str
    truncated_note: str  # {limit}
    error_apology: str
    not_ready: str
    # Around an answer
    answer_lead: str  # before the plan's (Swedish) words, for an English question; "" in Swedish
    decline: str
    contact: str  # {who} {reach}: the plan's contact, after a decline
    contact_phone: str  # {phone}
    contact_email: str  # {email}
    contact_or: str
    partial_lead: str
    yes: str  # opens the answer to a yes/no question that the plan's words settle
    ask_back: str  # when unsure which part of the plan is meant, before the sections offered
    ask_back_hint: str  # after them: how to choose
    about: str  # {name}: names the actor a body speaks of without naming it
    related: str  # before the further sentences an extract answer brings from elsewhere in the plan
    also_mentions: str  # {name}: before the places outside an actor's section that mention it
    source: str  # the sources line's heading for one source
    sources: str  # … for several
    # What the plan does not give (the partial answer's note, or the decline's)
    plan_lacks: str  # {what}{target}: "Planen anger ingen budget för X."
    lacks_target: str  # {subject}: the target after what is lacking
    lacks_such: str  # what, when no word of the ask says it
    no_comparison: str  # {set}
    no_instructions: str
    no_results: str
    other_plan: str  # {plan}, {target}
    plan_name: str
    future_content: str  # {what}
    future_event: str  # {event}
    future_happens: str  # {when}
    future_happened: str  # {when}


SV = Texts(
    lang="sv",
    examples=EXAMPLES_SV,
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
    answer_lead="",
    decline=(
        "Det kan jag tyvärr inte svara på. Jag svarar på frågor om Region Örebro läns regionala "
        "handlingsplan för kompetensförsörjning, till exempel om aktörernas roller, insatsområdena och "
        "finansiering."
    ),
    contact="Frågor om handlingsplanen besvarar {who}: du når dem {reach}.",
    contact_phone="på {phone}",
    contact_email="via {email}",
    contact_or=" eller ",
    partial_lead="Det här säger planen om ämnet:",
    yes="Ja.",
    ask_back="Jag är inte säker på vilken del av planen du menar. Menar du något av det här?",
    ask_back_hint=(
        "Välj ett av alternativen eller svara med dess nummer, så svarar jag på din fråga utifrån det."
    ),
    about="**{name}:**",
    related="Planen säger också:",
    also_mentions="Planen tar också upp {name} här:",
    source="Källa",
    sources="Källor",
    plan_lacks="Planen {what}{target}.",
    lacks_target=" för {subject}",
    lacks_such="anger ingen sådan uppgift",
    no_comparison="Planen anger ingen sådan jämförelse mellan {set}.",
    no_instructions="Planen ger inga instruktioner eller rekommendationer till enskilda.",
    no_results="Planen redovisar inga resultat av det.",
    other_plan="Jag svarar bara om {plan} och har ingen uppgift om {target}.",
    plan_name="Region Örebro läns plan",
    future_content="Planen säger inget om vad {what}.",
    future_event="Planen säger inget om {event}.",
    future_happens="Planen säger inget om vad som händer {when}.",
    future_happened="Planen säger inget om vad som hände {when}.",
)

EN = Texts(
    lang="en",
    examples=EXAMPLES_EN,
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
    answer_lead="The plan says (in Swedish):",
    decline=(
        "I'm sorry, I can't answer that. I answer questions about Region Örebro län's regional action plan "
        "for skills supply (Regional handlingsplan för kompetensförsörjning), for example the actors' roles, "
        "the action areas and funding."
    ),
    contact="Questions about the plan are answered by {who}: you can reach them {reach}.",
    contact_phone="on {phone}",
    contact_email="at {email}",
    contact_or=" or ",
    partial_lead="This is what the plan says on the subject (in Swedish):",
    yes="Yes.",
    ask_back="I am not sure which part of the plan you mean. Do you mean one of these?",
    ask_back_hint="Choose one, or reply with its number, and I will answer your question from it.",
    about="**{name}:**",
    related="The plan also says:",
    also_mentions="The plan also mentions {name} here:",
    source="Source",
    sources="Sources",
    plan_lacks="The plan {what}{target}.",
    lacks_target=" for {subject}",
    lacks_such="gives no such fact",
    no_comparison="The plan gives no such comparison between {set}.",
    no_instructions="The plan gives no instructions or recommendations for individuals.",
    no_results="The plan reports no results of it.",
    other_plan="I only answer about {plan} and have no information on {target}.",
    plan_name="Region Örebro län's plan",
    future_content="The plan says nothing about what {what}.",
    future_event="The plan says nothing about {event}.",
    future_happens="The plan says nothing about what happens {when}.",
    future_happened="The plan says nothing about what happened {when}.",
)

def pick(lang: str | None) -> Texts:
    """The texts for a language code ("sv", "en", "en-US", None …): Swedish unless it is English. The one
    place that decides a reply's language from a code."""
    return EN if (lang or "").lower().startswith("en") else SV


def truncated_note(limit: int, lang: str | None = "sv") -> str:
    # Swedish groups thousands with a (non-breaking) space, "2 000"; English with a comma, "2,000".
    number = f"{limit:,}" if pick(lang) is EN else f"{limit:,}".replace(",", "\u00a0")
    return pick(lang).truncated_note.format(limit=number)
