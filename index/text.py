"""Text analysis for Swedish (and some English): tokens, stems, compounds, sentences, language.

Every comparison of words goes through `tokens`, which folds case and diacritics ("Länsstyrelsen" and
"lansstyrelsen" are one token), so the index, the question and every cue list meet in one normal form.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache

import Stemmer

# A number with one or two decimals ("utvecklingsområde 5.4") is one token: an identifier, not two digits.
TOKEN = re.compile(
    r"[0-9]+\.[0-9]{1,2}(?![0-9])|[0-9]+(?:[ .,][0-9]{3})*|[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE
)


def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics to their base letter, one character for one (spans stay valid)."""
    table = {}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))[0]
        if base != chr(code) and base.isascii() and base.isalpha():
            table[code] = base
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without diacritics: "Förordet" -> "forordet". Same length as the input."""
    return text.lower().translate(_FOLD)


SWEDISH_FUNCTION_WORDS = frozenset(
    """
    alla allt alltså andra annan annat att av bara bland blev bli blir blivit bör både dag de dem den denna
    dess dessa det detta dig din dina ditt du där då efter eftersom ej eller en er era ert ett fick finns fler
    flera från får fått för genom ha hade han hans har hela helt henne hennes hon honom hur här hos i ibland
    icke igen in inför inga ingen inget inom inte ja jag kan kommer kunde man med mellan men mer mig min mina
    mitt mot mycket ni nu när någon något några och om oss på samma sedan sig sin sina sitt
    själv ska skall skulle som så sådan sådana sådant till under upp ut utan vad var vara vare varför varit
    varje vars vart vem vi vid vilka vilken vilket vår våra vårt än är åt över också även ännu enligt
    gör göra säger står stå hur mycket många någon finns fanns blir får kan måste ska mig oss er vill
    dom ngn nåt nån sån sånt
    ge ger gav gett sort sorts sortens slag slags typ
    """.split()
)
# Words that ask about the document itself rather than its content.
_DOCUMENT_WORDS = (
    "plan planen handlingsplan handlingsplanen dokumentet skriva skriver skrev skrivit betyder menas"
)
SWEDISH_STOPWORDS = frozenset(fold(w) for w in [*SWEDISH_FUNCTION_WORDS, *_DOCUMENT_WORDS.split()])
ENGLISH_STOPWORDS = frozenset(
    """
    a about above after again all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her
    here hers him his how i if in into is it its itself just me more most my no nor not now of off on once
    only or other our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours tell say says said please list listed there's what's
    offer offers offered provide provides provided mean means meant work works need needs get gets give gives
    make makes happen happens know want like many much often long kind sort exactly actually really
    """.split()
)
# Words that mark a question as English even when it is short.
_ENGLISH_MARKERS = frozenset("the what which who how why when does do is are plan about please tell".split())
_SWEDISH_MARKERS = frozenset(fold("vad vilka vilken vem hur varför när är och det som om för att på").split())

# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = ("bl.a.", "t.ex.", "bl. a.", "m.m.", "dvs.", "t.o.m.", "s.k.", "ca.", "resp.", "m.fl.")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"”»(]?[A-ZÅÄÖÉ0-9*])")
# In a message people type, a sentence may start in lower case ("… påläst. vad händer när …").
_TYPED_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"”»(]?[^\W_])")

_stemmer = Stemmer.Stemmer("swedish")
# Verb particles that fuse with their verb in derived words ("ta fram" -> "framtagandet", "följa upp" ->
# "uppföljning"). Prepositions that are also particles ("med", "till", "på") are left out: "arbeta med" is
# not "medarbetare".
PARTICLES = frozenset("upp ut fram ner ned bort ihop tillbaka samman igenom undan".split())


def tokens(text: str) -> list[str]:
    """Folded word and number tokens (see `fold`); numbers lose their inner spaces ("3 345" -> "3345")."""
    out = []
    for match in TOKEN.findall(fold(text)):
        out.append(re.sub(r"(?<=\d)[ .,](?=\d{3})", "", match) if match[0].isdigit() else match)
    return out


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball Swedish, applied until stable: one pass leaves "områdena" as "områden" but takes "områden" to
    "områd" (and "kompetensen" -> "kompetens", "kompetens" -> "kompet"), so inflections would not meet."""
    stemmed = _stemmer.stemWord(word)
    again = _stemmer.stemWord(stemmed)
    return again if len(again) >= 3 else stemmed


def content_tokens(text: str) -> list[str]:
    """Tokens that carry meaning: stopwords (Swedish and English) and one-letter words dropped."""
    return [
        t for t in tokens(text) if t not in SWEDISH_STOPWORDS and t not in ENGLISH_STOPWORDS and len(t) > 1
    ]


def detect_language(text: str, known: tuple[Mapping[str, int], Mapping[str, int]] | None = None) -> str:
    """'en' or 'sv', from function words and Swedish letters; Swedish wins ties (the plan is Swedish).

    `known`: the Swedish and English vocabularies, each word with its frequency rank (folded; 0 the most
    frequent). When no function word or letter tells, as in a keyword query ("vulnerable groups", "contact
    phone"), a word much more frequent in one language than in the other counts for that language: Swedish
    web text has "project" and "support" too, far down its list."""
    words = tokens(text)  # folded: "for" may be "för", so an English word is counted as English only
    english = sum(w in _ENGLISH_MARKERS or w in ENGLISH_STOPWORDS for w in words)
    swedish = sum(
        (w in _SWEDISH_MARKERS or w in SWEDISH_STOPWORDS) and w not in ENGLISH_STOPWORDS for w in words
    )
    if re.search(r"[åäö]", text.lower()):  # the letters themselves still tell
        swedish += 1
    if english == swedish and known is not None:
        english = sum(_more_frequent(w, known[1], known[0]) for w in words)
        swedish = sum(_more_frequent(w, known[0], known[1]) for w in words)
    return "en" if english > swedish else "sv"


FREQUENCY_RATIO = 10  # "much more frequent": an order of magnitude higher in its language's list


def _more_frequent(word: str, this: Mapping[str, int], other: Mapping[str, int]) -> bool:
    rank = this.get(word)
    if rank is None:
        return False
    other_rank = other.get(word)
    return other_rank is None or rank * FREQUENCY_RATIO < other_rank


def split_sentences(text: str, typed: bool = False) -> list[str]:
    """Sentences of a paragraph, not broken at common Swedish abbreviations. `typed`: a message as people
    type it, whose sentences may start in lower case."""
    protected = text
    for i, abbreviation in enumerate(_ABBREVIATIONS):
        protected = protected.replace(abbreviation, f"\x00{i}\x00")
    parts = (_TYPED_SENTENCE_END if typed else _SENTENCE_END).split(protected)
    restored = []
    for part in parts:
        for i, abbreviation in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbreviation)
        if part.strip():
            restored.append(part.strip())
    return restored


class Decompounder:
    """Splits Swedish compounds into parts that occur as words in the corpus.

    "kompetensförsörjning" -> ["kompetens", "försörjning"], so a search for "försörjning av kompetens" finds
    it, and the other way round. Parts are checked against the corpus vocabulary, so no word list is needed.
    """

    MIN_PART = 4
    MIN_WORD = 8

    def __init__(self, vocabulary: Iterable[str]):
        words = {w for w in vocabulary if len(w) >= self.MIN_PART and w.isalpha()}
        self._words = frozenset(words)
        self._stems = frozenset(stem(w) for w in words)
        self._sorted = sorted(words)  # for the words that start with a prefix

    def _known(self, part: str) -> bool:
        return part in self._words or stem(part) in self._stems

    @lru_cache(maxsize=65536)  # noqa: B019 - one instance per index, lives as long as the index
    def parts(self, word: str) -> tuple[str, ...]:
        """Parts of a compound (head first), or () when the word is not a compound of known words."""
        if len(word) < self.MIN_WORD or not word.isalpha():
            return ()
        # Longest known head first: "kompetensförsörjnings|arbete", then the head is split in turn.
        for cut in range(len(word) - self.MIN_PART, self.MIN_PART - 1, -1):
            head, tail = word[:cut], word[cut:]
            if not self._known(tail):
                continue
            if len(tail) <= self.MIN_PART and tail not in self._words:
                continue  # "rekryt|ring": a short tail known only as a stem is a suffix, not a word
            for candidate in (head, head[:-1] if head.endswith("s") else ""):
                if len(candidate) < self.MIN_PART:
                    continue
                if self._known(candidate):
                    return (candidate, *self.parts(candidate), tail)
                inner = self.parts(candidate)  # a head that is itself a compound of known words
                if inner:
                    return (*inner, tail)
        return ()

    def terms(self, text: str) -> list[str]:
        """Stemmed content tokens plus the stems of their compound parts: what lexical search indexes."""
        out = []
        for token in content_tokens(text):
            for piece in word_pieces(token):
                out.append(stem(piece))
                out.extend(stem(p) for p in self.parts(piece))
        return out

    def derived(self, text: str) -> list[str]:
        """Stems of the corpus words derived from the text's particle verbs: "ta fram" -> "framtagandet",
        "följas upp" -> "uppföljning" (the particle, then the verb's stem, begins the derived word)."""
        words = tokens(text)
        out: dict[str, None] = {}
        for verb, particle in zip(words, words[1:], strict=False):
            if particle not in PARTICLES or verb in SWEDISH_STOPWORDS or not verb.isalpha():
                continue
            prefix = particle + stem(verb)
            at = bisect.bisect_left(self._sorted, prefix)
            while at < len(self._sorted) and self._sorted[at].startswith(prefix):
                out[stem(self._sorted[at])] = None
                at += 1
        return list(out)


def word_pieces(token: str) -> list[str]:
    """A token and, for a hyphenated one ("e-postadress"), the joined form and its parts of 2+ letters."""
    if "-" not in token:
        return [token]
    return [token.replace("-", ""), *(p for p in token.split("-") if len(p) > 1)]
