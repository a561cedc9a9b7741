"""Personal data out of free text, and pseudonyms for identifiers.

`scrub(text)` replaces e-mail addresses, phone numbers, personnummer (and samordningsnummer) and a name the
writer gives after "jag heter" / "mitt namn är" / "my name is" with placeholders: [e-post], [telefon],
[personnummer], [namn]. It is what the feedback store (and later the question log) keeps of what people
wrote. It errs on the side of removing: a ten-digit order number that reads as a date is scrubbed too,
which costs nothing, while the plan's own numbers (years "2018–2030", ages "20-64 år", percentages, page
numbers) are left alone because they neither start like a phone number nor hold a valid date.

`pseudonym(value, salt)` is a salted HMAC: stable for one salt, not reversible without it.

Every pattern is linear: no nested quantifiers, so hostile input cannot make it backtrack.
"""

from __future__ import annotations

import hashlib
import hmac
import re

EMAIL = "[e-post]"
PHONE = "[telefon]"
PERSONNUMMER = "[personnummer]"
NAME = "[namn]"

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")

# Personnummer: (YY)YYMMDD, an optional '-' or '+' (100 years or older), four digits. The date is checked
# (samordningsnummer add 60 to the day) so that other long numbers in a question are not taken for one.
_MONTH_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
_PERSONNUMMER = re.compile(rf"(?<![\w+])(?:19|20)?\d{{2}}{_MONTH_DAY} ?[-+]? ?\d{{4}}(?!\d)")

# A phone number: digits with the separators people type (space, '-', '–', "(0)"), starting with '+', '00'
# or a national '0'. Dots and slashes are left out: "01.02.2021" is a date. Candidates are checked by
# their digit count below: 8-10 for a Swedish number (08-123 45 67, 0911-123 45, 070-123 45 67), 9-15 for
# an international one (+46 70 123 45 67, 0046 …).
_PHONE = re.compile(r"(?<![\w+])(?:\+|0)(?:\(0\)|\d)(?:[ \-–]{0,3}(?:\(0\)|\d)){6,17}(?!\w)")
_SEPARATOR = re.compile(r"[ \-–]+")
NATIONAL_DIGITS = (8, 10)
INTERNATIONAL_DIGITS = (9, 15)

# A name after the writer introduces themselves: the first word whatever its case ("jag heter anna"), then
# up to two more that start with a capital letter ("Anna-Karin Lind Berg"), so "… och undrar" stays.
_LETTERS = r"[^\W\d_]"
_NAME_WORD = rf"{_LETTERS}+(?:[-'’]{_LETTERS}+)*"
_CAPITAL_WORD = rf"[A-ZÅÄÖÉÜ]{_LETTERS}*(?:[-'’]{_LETTERS}+)*"
_NAME = re.compile(
    rf"(?i:\b(?:jag\s+heter|mitt\s+namn\s+är|mitt\s+namn\s+e|jag\s+kallas|my\s+name\s+is|my\s+name's|"
    rf"i\s+am\s+called|i'm\s+called)\s+)({_NAME_WORD}(?:\s+{_CAPITAL_WORD}){{0,2}})"
)


def scrub(text: str) -> str:
    """`text` with e-mail addresses, personnummer, phone numbers and self-given names replaced."""
    if not text:
        return text
    text = _EMAIL.sub(EMAIL, text)
    text = _PERSONNUMMER.sub(_personnummer_or_keep, text)
    text = _PHONE.sub(_phone_or_keep, text)
    return _NAME.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + NAME, text)


def _personnummer_or_keep(match: re.Match[str]) -> str:
    """Ten digits in a row starting with 0 ("0701234567") are left to the phone pattern: a mobile number
    is likelier than a personnummer of someone born 2000-2009 written without its '-'."""
    candidate = match.group(0)
    return candidate if candidate.isdigit() and len(candidate) == 10 and candidate[0] == "0" else PERSONNUMMER


def _phone_or_keep(match: re.Match[str]) -> str:
    """The placeholder for a phone number; a number followed by more digits ("070-123 45 67 2021") keeps
    what follows the longest prefix that has a phone number's length."""
    candidate = match.group(0)
    international = candidate.startswith(("+", "00"))
    low, high = INTERNATIONAL_DIGITS if international else NATIONAL_DIGITS
    cuts = [m.start() for m in _SEPARATOR.finditer(candidate)] + [len(candidate)]
    for cut in reversed(cuts):
        digits = sum(c.isdigit() for c in candidate[:cut].replace("(0)", ""))
        if low <= digits <= high:
            return PHONE + candidate[cut:]
    return candidate


def pseudonym(value: str, salt: bytes, length: int = 16) -> str:
    """A salted, keyed hash of `value` (hex, `length` characters): the same for the same salt, and without
    the salt nobody can test a guessed id against it."""
    return hmac.new(salt, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]
