"""A message that asks two things ("Vad gör Teknikcollege, och vem står bakom Vård- och omsorgscollege?",
"När antogs strategin? Vem ansvarar för den?") is answered part by part, each from its own evidence.

The parts are found from the message's form alone: two or more sentences that end with a question mark, or
one question joined to a second by "och"/"samt"/"and" and a question word. A situation told before the
questions stays with the first part (the analyser sets it apart again). The second part is asked as a
follow-up of the first, so "… och vem ansvarar?" is understood about what the first part asked.
"""

from __future__ import annotations

import re

from index.text import split_sentences

MAX_PARTS = 3
MIN_PART_WORDS = 2  # "Vem och när …?" asks one thing about two sides, not two things
# A question word after the join: the second part asks a question of its own.
INTERROGATIVE = r"(?:vem|vilka|vilken|vilket|vad|när|hur|var|vart|varför|who|what|when|how|which|where|why)"
JOIN = re.compile(rf"(?:\s*,\s*|\s+)(?:och|samt|and)\s+(?={INTERROGATIVE}\b)", re.IGNORECASE)


def split_parts(message: str) -> list[str]:
    """The questions a message asks, in order; one part when it asks one thing."""
    sentences = split_sentences(message, typed=True)
    asked = [i for i, s in enumerate(sentences) if s.rstrip().endswith("?")]
    if len(asked) >= 2:
        before = " ".join(sentences[: asked[0]])  # the situation, told before the first question
        parts = [sentences[i] for i in asked]
        parts[0] = f"{before} {parts[0]}".strip()
        return _kept(parts, message)
    if len(asked) == 1:
        at = asked[0]
        pieces = _joined(sentences[at])
        if len(pieces) > 1:
            pieces[0] = " ".join([*sentences[:at], pieces[0]])
            return _kept(pieces, message)
        return [message]
    return _kept(_joined(message), message)


def _joined(question: str) -> list[str]:
    """One question split where "och"/"and" joins a second question word: "Vad gör REKO och vem står bakom
    Gysam?" → "Vad gör REKO?", "vem står bakom Gysam?"."""
    pieces = [p.strip(" ,") for p in JOIN.split(question)]
    return [p if p.endswith("?") else f"{p}?" for p in pieces] if len(pieces) > 1 else [question]


def _kept(parts: list[str], message: str) -> list[str]:
    """The parts, when each asks something (two words at least) and there are not too many."""
    if len(parts) < 2 or len(parts) > MAX_PARTS or any(len(p.split()) < MIN_PART_WORDS for p in parts):
        return [message]
    return parts
