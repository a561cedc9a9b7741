"""Follow-up questions: what a question refers back to, and the context a conversation keeps.

"Vad gör Handelskammaren Mälardalen?" → "Är de offentliga eller privata?": the pronoun refers to the previous
topic. "Vad gör Handelskammaren?" → "Och REKO då?": the same question about another actor. A question that
names its own subject starts afresh.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers.model.context import Context
from handlers.understanding.actors import Actor, ActorDirectory
from handlers.wording.render import choice_labels
from index.text import content_tokens, fold, tokens

# Words that point back to something said before ("de", "den", "bolaget", "it", "they").
POSSESSIVES = frozenset(fold("deras dess their its").split())
DEMONSTRATIVE_MARKERS = frozenset(fold("här där").split())  # "det här", "den där"
ANAPHORS = frozenset(
    fold(
        "de dem deras dom den det dess denna detta dessa där dit bolaget stiftelsen organisationen "
        "myndigheten nätverket plattformen samarbetet satsningen they them their it its this that these "
        "those there"
    ).split()
)
# "Och REKO då?", "REKO då?", "Men Almi?", "What about REKO?", "And Almi?"
ELLIPSIS = re.compile(r"^\s*(?:och|men|samt|what about|how about|and)\b|\bd[åa]\s*\??\s*$", re.IGNORECASE)
DEFINITE_NOUN = re.compile(r"^[^\W\d_]{3,}(en|et|na|rna|n)$")
PREPOSITIONS = frozenset(
    fold("i på av med för till om från hos inom under vid in of for with in on about").split()
)
# Verbs before an empty "det" ("finns det", "går det", "behövs det"): there is, it is possible, …
EXPLETIVE_VERBS = frozenset(fold("finns fanns går gick blir blev behövs krävs handlar räcker").split())
MAX_FOLLOW_UP_WORDS = 10  # a long question carries its own subject


@dataclass(frozen=True)
class Resolved:
    question: str  # the question to answer ("Och REKO då?" becomes the previous question about REKO)
    actors: list[Actor]
    follow_up: bool
    subject: str = ""  # what a pronoun refers back to: the previous actor or topic


def resolve(question: str, context: Context | None, actors: ActorDirectory, swedish: str = "") -> Resolved:
    """`swedish`: the plan's terms for an English question's words, where actors are named in Swedish."""
    named = actors.find(f"{question} {swedish}".strip())
    if not context or not context.question:
        return Resolved(question, named, False)
    words = tokens(question)
    if named and ELLIPSIS.search(question) and len(words) <= 5:
        return Resolved(_same_question_about(context, question, actors), named, True)
    if not named and len(words) <= MAX_FOLLOW_UP_WORDS and refers_back(words):
        previous = actors.by_name(context.actor) if context.actor else None
        return Resolved(question, [previous] if previous else [], True, context.actor or context.topic)
    return Resolved(question, named, False)


def refers_back(words: list[str]) -> bool:
    """A pronoun that points back: last in the question ("Hur ofta anordnas den?"), before a preposition
    ("Vilka samarbetar i det med?"), or in a question too short to carry its own subject ("Är de offentliga
    eller privata?"). Not an article ("de övergripande målen") nor a relative clause ("de som står …")."""
    short = len(content_tokens(" ".join(words))) <= 2
    for i, word in enumerate(words):
        if word not in ANAPHORS:
            continue
        if word in POSSESSIVES:
            return True  # "bedöma deras kunnande": a possessive always points back to whose it is
        following = words[i + 1] if i + 1 < len(words) else None
        if word == "det" and i > 0 and words[i - 1] in EXPLETIVE_VERBS and following is not None:
            continue  # "Finns det något liknande …?": "det" stands in for what follows, not for before
        if following in DEMONSTRATIVE_MARKERS:
            return True  # "det här problemet", "den där satsningen": a demonstrative points back
        after = words[i + 2] if i + 2 < len(words) else ""
        if following == "som" or DEFINITE_NOUN.search(after):
            continue  # "de som …"; "den regionala utvecklingsstrategin" (an article, not a pronoun)
        if following is None or following in PREPOSITIONS or short:
            return True
    return False


def _same_question_about(context: Context, question: str, actors: ActorDirectory) -> str:
    """The previous question with its actor swapped for the one just named ("Vad gör Handelskammaren?" +
    "Och REKO då?" → "Vad gör REKO?"), in the user's own words for both."""
    new = actors.span(question)
    name = question[new[0] : new[1]] if new else question
    old = actors.span(context.question)
    if old is None:
        return f"{context.question} {name}"
    return f"{context.question[: old[0]]}{name}{context.question[old[1] :]}"


def chosen_section(message: str, context: Context | None) -> str:
    """The section a message chooses among those the bot offered when it asked back: its number ("2",
    "nr 2", "2.") or its label as the buttons send it; "" when the message is a new question."""
    if context is None or not context.choices:
        return ""
    said = " ".join(tokens(message))
    number = re.fullmatch(r"(?:nr |nummer |number |alternativ |option )?(\d)", said)
    if number is not None:
        index = int(number.group(1)) - 1
        return context.choices[index] if 0 <= index < len(context.choices) else ""
    labels = [" ".join(tokens(label)) for label in choice_labels(context.choices)]
    return context.choices[labels.index(said)] if said in labels else ""
