"""What an answer opens with before the plan's words: "Ja." when the evidence settles a yes/no question, and
the name of the actor a sentence speaks of when the sentence does not name it ("Stiftelsens verksamhet …").

"Ja" is said only when the best sentence restates the question: every content word of the question (two at
least) is in it, neither the question nor the sentence negates or restricts ("inte", "bara", "varje"), the
question holds no figure and leans on no situation told before it. Then the sentence says what was asked,
in the affirmative. "Nej" is never inferred: a sentence that differs from the question ("vart fjärde år" for
"varje år?") may answer no, or something else, and a wrong "Nej" would contradict the plan; the plan's own
words then speak for themselves.
"""

from __future__ import annotations

import re

from handlers.understanding.actors import ActorDirectory
from handlers.understanding.analyser import Query
from index.search import HybridSearcher
from index.text import content_tokens, fold, stem, tokens

# Closed-class words (grammar, not topics): a negation or a restriction changes what "yes" would mean.
NEGATIONS = frozenset(
    fold(w)
    for w in "inte ej icke aldrig ingen inget inga knappast varken not no never none neither nor cannot "
    "without".split()
)
RESTRICTIONS = frozenset(
    fold(w)
    for w in "bara endast enbart enda varje alla samtliga alltid only every all always solely sole "
    "each just".split()
)
FIGURE = re.compile(r"\d")
MIN_WORDS = 2


class Verdicts:
    def __init__(self, searcher: HybridSearcher, actors: ActorDirectory):
        self.searcher = searcher
        self.actors = actors
        self._by_section = {actor.section: actor for actor in actors.actors}

    def yes(self, query: Query, best: str) -> bool:
        """Whether `best`, the plan's best sentence, settles the yes/no question as "yes"."""
        # A situation told first is what "för företag som oss" means: the question alone does not say it.
        if not query.yes_no or not best or query.situation or FIGURE.search(query.question):
            return False
        asked = set(tokens(query.question))
        if asked & (NEGATIONS | RESTRICTIONS) or set(tokens(best)) & NEGATIONS:
            return False
        held = {stem(t) for t in tokens(best)} | set(self.searcher.decompounder.terms(best))
        # Every English word counts: one the glossary lacks ("public authority") may be the point.
        if query.translation is not None:
            english = content_tokens(query.question)
            if not all(w in query.translation.matched or self._held(w, held) for w in english):
                return False
        words = [w for w in query.terms.words if not stem(w).endswith("plan")]  # "planen": the document
        # One word ("Finns det något om validering?") asks whether the plan speaks of it, which any sentence
        # naming it would "settle": the plan's words answer that better than a "Ja".
        return len(words) >= MIN_WORDS and all(self._held(word, held) for word in words)

    def _held(self, word: str, held: set[str]) -> bool:
        """A word of the question is in the sentence: its stem, or every part of it as a compound."""
        if stem(word) in held:
            return True
        parts = self.searcher.decompounder.terms(word)
        return bool(parts) and all(part in held for part in parts)

    def about(self, opening: str, section: str) -> str:
        """The actor an opening sentence of the actor's own section speaks of without naming it
        ("Stiftelsens verksamhet syftar …" under "Stiftelsen Activa"), or ""."""
        actor = self._by_section.get(section)
        if actor is None or not opening or actor in self.actors.find(opening):
            return ""
        return actor.short_name
