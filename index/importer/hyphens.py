"""Lines of a block joined into one text, with words broken at line ends put back together.

"kompetensför-" + "sörjning" becomes "kompetensförsörjning"; "vård-" + "och omsorg" keeps its hyphen
(a Swedish coordination, unless the joined word is a word: "gemen-" + "samt"); "HR-" + "frågor" and
"2000-" + "talet" keep theirs (a real compound).
"""

from __future__ import annotations

import re

from index.clean import COORDINATION

# Hyphen-minus, the typographic hyphen (U+2010), the non-breaking hyphen and the soft hyphen.
HYPHENS = "-\u2010\u2011\u00ad"
BROKEN_END = re.compile(rf"(?P<stem>\S*?)(?P<last>[^\W_])[{HYPHENS}]$")
# Hyphens that a typesetter inserts (never typed by the author): always joined.
SOFT = "\u2010\u00ad"


def join_lines(lines: list[str]) -> str:
    text = ""
    for raw in lines:
        line = " ".join(raw.split())
        if not line:
            continue
        if not text:
            text = line
            continue
        text = _join(text, line)
    return text.replace("\u00ad", "").replace("\u2010", "-").replace("\u2011", "-")


def _join(text: str, line: str) -> str:
    end = BROKEN_END.search(text)
    last = end.group("last") if end else ""
    if last.isdigit() and line[0].isdigit():
        return text + line  # "2018-" + "2030": a range
    if not end or not line[0].islower():
        return f"{text} {line}"
    hyphen = text[-1]
    if hyphen in SOFT:  # put there by the typesetter, never typed
        return text[:-1] + line
    if COORDINATION.match(line) and not _is_word(end.group("stem") + last + line.split()[0]):
        return f"{text[:-1]}- {line}"
    if last.islower():
        return text[:-1] + line
    return text[:-1] + "-" + line  # "HR-" + "frågor", "2000-" + "talet": the hyphen belongs to the word


def _is_word(word: str) -> bool:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.strip(".,;:!?()”\"'"), "sv") > 0
