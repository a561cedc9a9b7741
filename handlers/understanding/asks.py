"""Specific asks: what kind of fact a question wants, so the bot can say plainly when the plan lacks it.

Classic QA answer-type classification, kept narrow. A question asks for a specific kind of fact when an
interrogative frame meets a word for that kind: "vad kostar …", "hur mycket pengar …", "vem är chef …",
"när hålls …", "hur lång tid …", "hur stor andel …", "Region Gävleborgs plan", "nästa år". `find_ask`
returns that `Ask` (or None for an ordinary question about the plan); `Ask.satisfied_by` tells whether an
answer text (the plan's sentences) holds such a fact; `Ask.note` is the one sentence that says it does not.

The kinds: amount (money), count, date, duration, person, other_plan (another region's or organisation's
plan), future (a relative or future time the plan cannot know) and statistic (a current figure, or the
top place of a set). Flagging an in-scope question turns a full answer into a partial one, so every cue is
an interrogative frame plus a word of the kind, never a topic word alone: "hur kan insatser finansieras",
"framtidens kompetensbehov" and "de kommande åren" are ordinary questions.

Matching runs on the question folded to lower case without diacritics (`index.text.fold`, which keeps
offsets, so the phrase is returned as written), except where folding merges words: "vilket år" is not
"vilket är", and "i vår" is not "i var".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from handlers.wording.texts import Texts
from index.text import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS, fold, stem

KINDS = (
    "amount",
    "count",
    "date",
    "duration",
    "person",
    "other_plan",
    "future",
    "statistic",
    "outcome",
    "procedure",
)
# When a question asks two things, the one the plan can never supply wins: another's plan, then a time the
# plan cannot know, then the specific kinds before the generic count.
PRIORITY = (
    "other_plan",
    "future",
    "procedure",
    "person",
    "amount",
    "outcome",
    "statistic",
    "duration",
    "date",
    "count",
)

MAX_SUBJECT_WORDS = 6
MAX_TERSE_WORDS = 6  # a keyword query ("budget kompetensforum") has no interrogative to frame its noun



# --- Building blocks (folded text) -----------------------------------------------------------------

GAP = r"(?:(?!att\b|to\b)[\w'-]+\s+)"  # a word inside a frame; "att"/"to" starts a new clause
# The interrogative frames that ask for the value of a noun: "vad är budgeten", "vilken avgift",
# "hur hög är räntan", "vad finns det för avgifter", "finns det en budget", "what is the fee".
FRAME_SV = (
    r"(?:\bvad (?:ar|blir|var|ligger|kostar)|\bvilk(?:en|et|a)(?: ar)?"
    r"|\bhur (?:stor|stort|stora|hog|hogt|hoga|mycket|lag|lagt)(?: ar| blir| var)?"
    r"|\bvad \w+(?: \w+){0,3} for|\bfinns det(?: en| ett| nagon| nagot"
    r"| nagra)?|\bange|\bberatta om)\s+" + GAP + r"{0,3}?"
)
FRAME_EN = (
    r"(?:\bwhat(?:'s| is| are| was| were| will be| would be)?|\bwhich|\bhow (?:much|high|large|big|low)"
    r"(?: is| are| was| were)?|\bis there(?: a| an| any)?|\bare there(?: any)?|\btell me)\s+"
    + GAP
    + r"{0,4}?"
)
INTERROGATIVES = frozenset(
    "vad vilken vilket vilka hur nar vem varfor what which how when who where why".split()
)
YES_NO_OPENERS = frozenset(
    "har finns kan ar far ska bor maste galler do does is are can will has have".split()
)
# "När" asks for a time only at the head of a clause; "vad gör regionen när planen revideras" does not.
CLAUSE_HEAD_SV = r"(?:^|[.?!,;:]\s*|\b(?:och|men|sa|du|undrar|veta|vet|saga|ange)\s+)"
CLAUSE_HEAD_EN = r"(?:^|[.?!,;:]\s*|\b(?:and|but|know|tell me|say)\s+)"

AMOUNT_NOUNS_SV = (
    r"(?:\w*kostnad(?:en|er|erna)?|\w*pris(?:et|er|erna)?|\w*avgift(?:en|er|erna)?|\w*budget(?:en|ar|arna)?"
    r"|\w*belopp(?:et|en)?|rant(?:a|an|or|esats|esatsen)|\w*lon(?:en|er|erna)?|arvode(?:t|n|na)?"
    r"|anslag(?:et|en)?)\b"
)
AMOUNT_NOUNS_EN = (
    r"(?:costs?|prices?|fees?|budgets?|salary|salaries|wages?|interest rates?|rate of interest|pay)\b"
)
MONEY_SV = (
    r"(?:pengar|medel|bidrag|finansiering|kapital|betalt|kronor|kr|sek|euro|tjanar|tjana|betalar|betala"
    r"|betalas|satsas|satsar|avsatts|avsatt|avsatter|investeras|investerar|budgeteras|kostar|kosta)\b"
)
MONEY_EN = (
    r"(?:money|funding|funds|grants?|loans?|cost|costs|pay|paid|earn|earns|charge|charged|spend|spent|invest"
    r"|invested|borrow|budget|kronor|sek|euros?)\b"
)
TIME_UNITS_SV = r"(?:manader|veckor|dagar|timmar|terminer)"
DURATION_NOUNS = (
    r"[\w-]*(?:utbildning|kurs|program|praktik|apl|period|projekt|tid|process|validering|handledning"
    r"|anstallning|studie|introduktion|etablering)\w*"
)
EVENT_VERBS_SV = (
    r"(?:startar|startade|startas|borjar|borjade|oppnar|oppnade|oppnas|stanger|stangde|slutar|slutade|halls"
    r"|holls|hallas|arrangeras|arrangerades|anordnas|anordnades|ordnas|ordnades|genomfors|genomfordes|antogs"
    r"|antas|beslutades|beslutas|publiceras|publicerades|lanseras|lanserades|invigs|invigdes|revideras"
    r"|reviderades|skickades|skickas|infordes|infors|utlyses|utlystes|traffas|avslutas|avslutades"
    r"|kommer ut|gar ut|togs fram|tas fram|ses over|ar (?:sista|nasta|det|forsta)|var (?:det|forsta|senaste))"
)
EVENT_VERBS_EN = (
    r"(?:held|start|starts|started|begin|begins|began|open|opens|opened|close|closes|closed|end|ends|ended"
    r"|take place|takes place|took place|adopted|published|launched|revised|decided|arranged|organi[sz]ed"
    r"|due|happen|happens|happening)"
)
ROLES_SV = (
    r"(?:\w*chef(?:en)?|ordforande(?:n)?|rektor(?:n)?|vd(?::n)?|\w*direktor(?:en)?|handlaggare(?:n)?"
    r"|kontakt(?:en)?|kontaktperson(?:en)?|ansvarig(?:a|e)? (?:pa|hos|handlaggare|person|kontakt)"
    r"|projektledare(?:n)?|samordnare(?:n)?|ledare(?:n)?|landshovding(?:en)?|talesperson(?:en)?)"
)
ROLES_EN = (
    r"(?:contact(?: person)?|head|director|chair|chairman|chairwoman|chairperson|ceo|principal|manager"
    r"|rector|vice-chancellor|president|coordinator|person responsible|responsible person|case officer"
    r"|governor)"
)
EVENTS = (
    r"[\w-]*(?:forum|akademi\w*|traff\w*|mote[nt]?|moten\w*|konferens\w*|evenemang\w*|seminari\w*"
    r"|workshop\w*|utlysning\w*|aktivitet\w*|dag(?:en|ar|arna)?|rapport\w*|events?|meetings?|conferences?"
    r"|program(?:met)?|schema(?:t)?|tema(?:t)?|seminars?|activities|activity|workshops?|programmes?)\b"
)
PLAN_WORDS = (
    r"(?:\w*plan(?:en|er|erna)?|\w*strategi(?:n|er|erna)?|rus|policy|policyn|plans?|strateg(?:y|ies)"
    r"|action plan)\b"
)
SUPERLATIVES = (
    r"(?:storst\w*|flest\w*|hogst\w*|lagst\w*|minst\w*|mest|bast\w*|samst\w*|snabbast\w*|langst\w*|most"
    r"|highest|lowest|largest|biggest|smallest|least|best|worst|fewest)\b"
)
SETS_SV = (
    r"(?:kommun(?:er)?|ort(?:er)?|stad|stader|tatort(?:er)?|region(?:er)?|lan|kommundel(?:ar)?|land|lander)"
)
SETS_EN = (
    r"(?:municipality|municipalities|towns?|city|cities|regions?|county|counties|districts?|countr(?:y|ies))"
)
STAT_NOUNS_SV = (
    r"(?:\w*arbetsloshet\w*|sysselsattning\w*|arbetskraftsdeltagande\w*|befolkning(?:en)?|invanarantal\w*"
    r"|medelalder\w*|ohalsotal\w*|utbildningsniva\w*|andel(?:en)?|inflyttning(?:en)?|\w*grad(?:en)?)\b"
)

# The 20 regions and counties besides Örebro, folded, with their written name.
REGIONS = {
    "stockholm": "Stockholm",
    "uppsala": "Uppsala",
    "sormland": "Sörmland",
    "sodermanland": "Södermanland",
    "ostergotland": "Östergötland",
    "jonkoping": "Jönköping",
    "kronoberg": "Kronoberg",
    "kalmar": "Kalmar",
    "gotland": "Gotland",
    "blekinge": "Blekinge",
    "skane": "Skåne",
    "halland": "Halland",
    "vastra gotaland": "Västra Götaland",
    "varmland": "Värmland",
    "dalarna": "Dalarna",
    "gavleborg": "Gävleborg",
    "vasternorrland": "Västernorrland",
    "jamtland harjedalen": "Jämtland Härjedalen",
    "jamtland": "Jämtland",
    "harjedalen": "Härjedalen",
    "vasterbotten": "Västerbotten",
    "norrbotten": "Norrbotten",
    "vastmanland": "Västmanland",
}
CITY_REGIONS = ("stockholm", "uppsala", "jonkoping", "kalmar")  # also cities: named alone they are no region
COUNTRIES = {
    "norge": "Norge",
    "norway": "Norway",
    "finland": "Finland",
    "danmark": "Danmark",
    "denmark": "Denmark",
    "tyskland": "Tyskland",
    "germany": "Germany",
    "estland": "Estland",
    "estonia": "Estonia",
}
# Organisations of the plan whose genitive a lower-case question may use: "arbetsformedlingens plan".
KNOWN_ORGANISATIONS = (
    "almi arbetsformedlingen lansstyrelsen handelskammaren teknikcollege regeringen skolverket "
    "universitetet myndigheten stiftelsen"
).split()
# Genitives (without their -s) that name this region or nothing: "Region Örebro läns plan", "regionens plan".
NOT_OTHERS = frozenset(
    "orebro lan lanet region regionen planen handlingsplanen strategin vem des dera sverige ru".split()
)


def _names(keys: list[str]) -> str:
    return "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(keys, key=len, reverse=True))


REGION_NAMES = _names(list(REGIONS))
COUNTY_ONLY = _names([k for k in REGIONS if k not in CITY_REGIONS])
CITIES = _names(list(CITY_REGIONS))


# --- Cues ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    kind: str
    pattern: re.Pattern[str]
    lang: str = "*"  # "sv", "en" or "*" (names: either language)
    lower: bool = False  # match the lower-cased text with its å/ä/ö rather than the folded text
    # Where the subject is: "after" a preposition following the cue; "object", the words right after the
    # cue ("vad kostar X"); "name", only a capitalised name ("har ni öppet på lördagar" has none).
    subject: str = "after"
    terse_only: bool = False  # a bare noun, for keyword queries without an interrogative


def _cue(
    kind: str,
    pattern: str,
    lang: str = "*",
    *,
    lower: bool = False,
    subject: str = "after",
    terse_only: bool = False,
) -> Cue:
    return Cue(kind, re.compile(pattern), lang, lower, subject, terse_only)


# What something yet to come will hold ("Vad kommer strategin att innehålla?"), on the folded question.
FUTURE_CONTENT_SV = (
    r"\bvad (?P<will>kommer) (?P<what>(?:[\w-]+ ){1,6}?)att"
    r" (?:innehalla|omfatta|handla om|ta upp|innebara)\b"
)
FUTURE_CONTENT_EN = (
    r"\bwhat (?P<will>will) (?P<what>(?:[\w-]+ ){1,6}?)(?:contain|include|cover|say|involve)\b"
)
# Who wrote or signed: the plan is signed by a person.
AUTHORSHIP_SV = r"(?:skrivit|skrev|undertecknat|undertecknade|signerat|signerade)"
AUTHORSHIP_EN = r"(?:wrote|written|signed|authored)"

CUES: tuple[Cue, ...] = (
    # other_plan: another region, county, country or organisation.
    _cue(
        "other_plan", rf"\b(?:region|landstinget)\s+(?P<name>{REGION_NAMES})(?:s|'s)?\b(?:\s+{PLAN_WORDS})?"
    ),
    _cue(
        "other_plan",
        rf"\b(?P<name>{REGION_NAMES})s?\s+(?:lans?|county|region)(?:s|'s)?\b(?:\s+{PLAN_WORDS})?",
    ),
    # One word: "Västra Götalandsregionens plan", "Skånelandstingets strategi".
    _cue("other_plan", rf"\b(?P<name>{REGION_NAMES})s?(?:regionen|landstinget)s?\s+(?:\w+\s+)?{PLAN_WORDS}"),
    _cue("other_plan", rf"\b(?P<name>{CITIES})s?\s+(?:\w+\s+)?{PLAN_WORDS}"),
    _cue("other_plan", rf"\b(?P<name>{COUNTY_ONLY})(?:s|'s)?\b(?:\s+{PLAN_WORDS})?"),
    _cue("other_plan", rf"\b(?P<name>{_names(list(COUNTRIES))})(?:s|'s)?\b(?:\s+{PLAN_WORDS})?"),
    _cue("other_plan", rf"\b(?P<name>[\w-]+)\s+kommuns\s+{PLAN_WORDS}"),
    _cue("other_plan", rf"\b(?P<org>[\w-]+)(?:s|'s)\s+(?:egen |egna |nya |own |new |current )?{PLAN_WORDS}"),
    # future: relative times, the next occurrence of an event, years beyond the plan's horizon.
    _cue(
        "future",
        r"\b(?:nasta|kommande|innevarande) (?:ar|termin|terminen|host|var|vinter|sommar|manad"
        r"|vecka|lasar)\b",
        "sv",
    ),
    _cue(
        "future",
        r"\bi (?:ar|host|vinter|sommar)\b|\btill (?:hosten|varen|sommaren|vintern)\b"
        r"|\b(?:i morgon|imorgon|i kvall|ikvall|i helgen|nasta vecka|nasta manad|nasta gang)\b"
        r"|\bi var(?=\s*[?.!]*$)",
        "sv",
    ),
    _cue("future", r"\bi vår(?=\s*(?:[?.!,]|$))", "sv", lower=True),  # "i vår egen plan" is "in our own plan"
    _cue(
        "future",
        r"\b(?:forra|fjolarets) (?:aret|terminen|hosten|varen|manaden|veckan)\b|\bi fjol\b"
        r"|\bi (?:hostas|varas|somras|vintras)\b",
        "sv",
    ),
    _cue(
        "future",
        r"\b(?:next|this|coming|upcoming|last) (?:year|semester|term|autumn|fall|spring|summer"
        r"|winter|month|week|weekend)\b|\b(?:tomorrow|tonight)\b",
        "en",
    ),
    _cue("future", rf"\b(?:nasta|kommande|arets)\s+(?:[\w-]+\s+)?{EVENTS}", "sv"),
    _cue("future", rf"\b(?:next|upcoming)\s+(?:[\w-]+\s+)?{EVENTS}", "en"),
    # A year past the plan's horizon, not an amount: "2035", not "2500 kronor".
    _cue("future", r"\b20[3-9]\d\b(?<!2030)(?!\s*(?:kr\b|kronor|sek\b|euro|personer|procent|%))"),
    # Within the plan's horizon a year is future only for an event: "forum 2025", not "önskvärt läge 2027".
    _cue("future", rf"\b{EVENTS}.*\b(?P<ask>202[4-9])\b"),
    _cue("future", rf"\b(?P<ask>202[4-9])\b.*\b{EVENTS}"),
    # What something yet to come will hold: the plan can only say that it is coming.
    _cue("future", FUTURE_CONTENT_SV, "sv"),
    _cue("future", FUTURE_CONTENT_EN, "en"),
    # person: a named individual, or the contact details that reach one.
    _cue("person", r"\bkontakt ?person(?:en|er|erna)?\b", "sv"),
    _cue("person", rf"\bvem (?:ar|var|blir) (?:den |det )?{ROLES_SV}\b", "sv"),
    _cue("person", rf"\bvad heter (?:den |det )?(?:{ROLES_SV}|personen|kvinnan|mannen)\b", "sv"),
    _cue("person", rf"\bnamn(?:et)? pa (?:den |det )?(?:{ROLES_SV}|personen)\b|\bvilken person\b", "sv"),
    _cue(
        "person",
        r"\bvem (?:kan|ska|bor) (?:jag|man|vi) (?:kontakta|ringa|mejla|maila|prata med|vanda mig"
        r" till|vanda oss till|hora av mig till)\b|\bvem kontaktar (?:jag|man)\b",
        "sv",
    ),
    _cue(
        "person",
        r"\b(?:telefonnummer(?:et)?|telefonnr|e-?post(?:adress(?:en)?)?|mejladress(?:en)?"
        r"|mailadress(?:en)?)\b",
        "sv",
    ),
    # Who wrote or signed (a part of) the plan: a personal name, the signature, answers.
    _cue("person", rf"\bvem (?:har )?{AUTHORSHIP_SV}\b", "sv", subject="name"),
    _cue("person", rf"\bwho (?:has |had )?{AUTHORSHIP_EN}\b|\bwho is the author\b", "en", subject="name"),
    # How to get in touch: answered by a phone number or an e-mail address, for whom it was asked.
    _cue(
        "person",
        r"\bhur (?:kan|ska|bor|gor) (?:jag|man|vi) (?:for att )?(?:kontakta|komma i kontakt med|fa kontakt"
        r" med|fa tag pa)\b|\bhur kontaktar (?:jag|man|vi)\b|\bkontaktuppgift(?:er|erna)?\b"
        r"|\bvart (?:kan |ska |bor )?(?:jag|man|vi) (?:vanda|vander) (?:mig|oss|sig)\b"
        r"|\bvart vander (?:jag|man|vi) (?:mig|oss|sig)\b",
        "sv",
        subject="name",
    ),
    _cue(
        "person",
        r"\bhow (?:can|do|should|could|would) (?:i|we|one) (?:contact|get in touch with|get hold of)\b"
        r"|\bget in touch\b|\bcontact (?:details|information|info)\b",
        "en",
        subject="name",
    ),
    _cue("person", r"\bcontact person\b|\b(?:phone|telephone) number\b|\be-?mail address\b", "en"),
    _cue("person", rf"\bwho (?:is|was|are) (?:the |their |its )?{ROLES_EN}\b", "en"),
    _cue("person", rf"\bname of (?:the |its |their )?(?:{ROLES_EN}|person|contact)\b", "en"),
    _cue(
        "person", r"\bwho (?:should|can|do) (?:i|we) (?:contact|call|email|e-mail|talk to|speak to)\b", "en"
    ),
    # amount: money.
    _cue("amount", r"\b(?:vad|hur mycket)\s+(?:\w+\s+){0,4}?kost(?:ar|ade|a|at)\b", "sv", subject="object"),
    _cue("amount", r"\b(?:vad|hur mycket)\s+(?:\w+\s+){0,3}?tjanar\b", "sv", subject="object"),
    _cue("amount", rf"\bhur mycket\s+(?:\w+\s+){{0,4}}?{MONEY_SV}", "sv"),
    _cue("amount", r"\bhur mycket\s+(?:\w+\s+){0,4}?(?:lån|låna|lånar)\b", "sv", lower=True),
    _cue(
        "amount",
        r"(?:\bhur (?:mycket|stor|hog)|\bvilken|\bvad ar)\s+(?:\w+\s+){0,2}?\w*ersattning(?:en|ar"
        r"|arna)?\b",
        "sv",
    ),
    _cue("amount", FRAME_SV + AMOUNT_NOUNS_SV, "sv"),
    _cue("amount", rf"\bhow much\s+(?:\w+\s+){{0,5}}?{MONEY_EN}", "en"),
    _cue("amount", r"\bwhat (?:does|do|did|will|would) (?:[\w'-]+\s+){1,6}?cost\b", "en", subject="object"),
    _cue("amount", FRAME_EN + AMOUNT_NOUNS_EN, "en"),
    _cue("amount", rf"\b(?:{AMOUNT_NOUNS_SV}|{AMOUNT_NOUNS_EN})", terse_only=True),
    # statistic: a current figure, or the top place of a set.
    # procedure: personal instructions or recommendations; the plan is a strategy for the county's actors.
    _cue(
        "procedure",
        r"\bhur (?:gor|ansoker|soker|bokar|registrerar|anmaler|byter|skaffar|startar|fornyar|forlanger) jag\b"
        r"|\bkan du (?:rekommendera|tipsa om)\b|\bvart (?:vander|ska|kan) jag (?:vanda|ga)\b",
        "sv",
    ),
    _cue(  # how to get in touch is no procedure: the plan's contact card answers it
        "procedure",
        r"\bhow do i\b(?! contact| get in touch| get hold)|\bcan you (?:recommend|suggest)\b",
        "en",
    ),
    # outcome: what a project or initiative achieved; the plan names projects but reports no results.
    _cue(
        "outcome",
        r"\b(?:vilka|vad|hur)\s+(?:\w+\s+){0,3}?(?P<ask>resultat(?:et|en)?)\s+"
        r"(?:\w+\s+){0,2}?(?:gav|ger|ledde|blev|har|fick|av|fran|med)\b",
        "sv",
    ),
    _cue("outcome", r"\b(?:vad|hur) (?:blev|gick) (?P<ask>(?:det med|resultatet))", "sv"),
    _cue("outcome", r"\bwhat (?:were|was|are|is|did) (?:the )?(?P<ask>results?|outcomes?|achieve)\b", "en"),
    _cue("statistic", rf"\bvilk(?:en|et|a) {SETS_SV}\s+(?:\w+\s+){{0,3}}?{SUPERLATIVES}", "sv"),
    _cue("statistic", rf"\bwhich {SETS_EN}\s+(?:\w+\s+){{0,4}}?{SUPERLATIVES}", "en"),
    _cue(
        "statistic",
        r"\b(?:hur stor|vilken|hur hog|hur liten) (?:andel|procentandel|procentsats)\b"
        r"|\bhur stor del av\b|\bhur manga procent\b",
        "sv",
    ),
    _cue(
        "statistic",
        rf"\b(?:vad|hur (?:hog|stor|lag)) (?:ar|var|blir|kommer|vantas|beraknas)\s+(?:den |det )?(?:\w+ )?"
        rf"(?P<subj>{STAT_NOUNS_SV})",
        "sv",
    ),
    _cue(
        "statistic",
        r"\bwhat (?:share|percentage|proportion|fraction|percent)\b|\bhow many percent\b"
        r"|\bhow (?:large|big|high|low) (?:a |is the |was the |is |was |will the |will )?"
        r"(?:share|percentage|proportion"
        r"|unemployment|employment rate|population)\b|\bunemployment rate\b"
        r"|\bwhat is the (?:current )?(?:unemployment|employment rate|population)\b",
        "en",
    ),
    # duration.
    _cue("duration", r"\bhur (?:lang \w*tid(?:en)?|lange)\b", "sv"),  # "hur lång handläggningstid"
    _cue("duration", rf"\bhur lang (?:ar|blir|var)\s+(?:\w+\s+){{0,2}}?(?P<subj>{DURATION_NOUNS})", "sv"),
    # "Hur lång är undersköterskeutbildnimgen?": a course's name, typo and all, is a "-ing/-en" noun.
    _cue(
        "duration",
        r"\bhur lang (?:ar|blir|var)\s+(?:en |ett |den |det )?(?P<subj>[\w-]{6,}(?:en|et|ing))\b",
        "sv",
    ),
    _cue("duration", rf"\bhur manga {TIME_UNITS_SV}\b", "sv"),
    _cue("duration", r"\bhur många år\b", "sv", lower=True),
    _cue("duration", r"\bhow long\b|\bhow many (?:years|months|weeks|days|hours|semesters)\b", "en"),
    # date: a point in time; a deadline or opening hours before the general "när …".
    _cue(
        "date",
        r"\bsista (?:ansokningsdag(?:en)?|ansokningsdatum(?:et)?|dag(?:en)? for|datum(?:et)? for)\b"
        r"|\bansokningsdag(?:en)?\b|\bansokningstid(?:en)?\b|\bdeadline\b",
        "sv",
    ),
    # "Har ni öppet i dag?" asks for hours; "har regionen öppet kompetensforum" names an activity.
    _cue(
        "date",
        r"\boppettid(?:er|erna)?\b|\bhar\s+(?:\w+\s+){0,3}?oppet(?=\s*(?:$|[?.!]|idag\b|i dag\b|ikvall\b"
        r"|i kvall\b|imorgon\b|i morgon\b|pa |mellan |under ))",
        "sv",
        subject="name",
    ),
    _cue(
        "date",
        CLAUSE_HEAD_SV + rf"(?P<ask>nar\s+(?:[\w-]+\s+){{0,4}}?{EVENT_VERBS_SV})\b",
        "sv",
        subject="object",
    ),
    _cue("date", r"\bvilk(?:et|a) år\b", "sv", lower=True),
    _cue(
        "date",
        r"\bvilk(?:et|a) artal\b|\bvilk(?:en|et|a) (?:dag|datum|manad|vecka|klockslag|tidpunkt)\b"
        r"|\bvilken tid (?:oppnar|stanger|borjar|startar|ar)\b|\bhur dags\b",
        "sv",
    ),
    _cue("date", FRAME_SV + r"datum(?:et|en)?\b", "sv"),
    _cue(
        "date",
        CLAUSE_HEAD_EN + rf"(?P<ask>when\s+(?:is|was|will|does|do|did|are|were)\s+(?:[\w'-]+\s+)"
        rf"{{0,5}}?{EVENT_VERBS_EN})\b",
        "en",
        subject="object",
    ),
    _cue(
        "date",
        r"\bwhen (?:is|was|are|will be) the (?:next|last|first|deadline|application deadline)\b"
        r"|\bwhat time\b|\bopening hours\b|\b(?:which|what) (?:date|day|year|month|week)\b|\bdeadline\b"
        r"|\bdue date\b",
        "en",
    ),
    _cue("date", r"\b(?:datum|oppettider|dates?)\b", terse_only=True),
    # count.
    _cue("count", r"\bhur manga\b", "sv"),
    _cue("count", r"(?:\bvad ar|\bvilket|\bhur stort ar)\s+(?:\w+\s+){0,2}?antal(?:et)?\b", "sv"),
    _cue(
        "count",
        r"\bhow many\b|\b(?:what(?:'s| is| was| are)|how (?:large|big|high) is|tell me|give me) the"
        r" (?:total |exact |current )?number of\b",
        "en",
    ),
    _cue("count", r"\bantal(?:et)?\b", "sv", terse_only=True),
)


# --- The ask ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    kind: str  # one of KINDS
    phrase: str  # the words of the question that ask it, as written: "budget", "Region Gävleborgs plan"
    subject: str  # what it is asked about ("Kompetensforum"); "" when unclear
    counted: str = ""  # a count's noun, folded: "personer" in "hur många personer har validerats"
    lang: str = "*"  # the cue's language: an English subject's words are not looked for in Swedish text

    @property
    def precise(self) -> bool:
        """Whether the check names exactly what answers: the counted noun, a share, a phone number or an
        e-mail address (not just any number or any name)."""
        return bool(self.counted) or self.kind == "statistic" or self.asks_contact or self.asks_author

    @property
    def asks_author(self) -> bool:
        """Who wrote or signed: a personal name answers, not an organisation."""
        authorship = rf"{AUTHORSHIP_SV}|{AUTHORSHIP_EN}|author"
        return self.kind == "person" and re.search(authorship, _fold(self.phrase)) is not None

    @property
    def about_another_plan(self) -> bool:
        """Asks what another region's plan says: nothing of this plan answers it, so no plan text follows
        the note (what this plan says on the subject would read as the other plan's answer)."""
        return self.kind == "other_plan"

    @property
    def asks_contact(self) -> bool:
        return self.kind == "person" and CONTACT_PHRASE.search(_fold(self.phrase)) is not None

    def satisfied_by(self, text: str, passage: str = "") -> bool:
        """Does an answer text (the plan's sentences) hold this kind of fact? `passage`: the text around it,
        which may name whom a contact is for ("Region Örebro län" above "Telefonnummer: 019-…")."""
        if self.kind == "person":
            return _person(self, text, passage)
        return SATISFIERS[self.kind](self, text)

    def note(self, texts: Texts) -> str:
        """One sentence saying what the plan does not give, in the reply's language."""
        return NOTES[self.kind](self, texts)


def find_ask(question: str, lang: str) -> Ask | None:
    """The specific fact the question asks for, or None for an ordinary question about the plan.

    `lang` ("sv" or "en") selects the language's cues; names of regions and countries are matched in both."""
    text = question.replace("’", "'")
    folded = _fold(text)
    lower = "".join(c.lower()[:1] for c in text)
    terse = _is_terse(folded)
    for kind in PRIORITY:
        for cue in CUES:
            if cue.kind != kind or cue.lang not in ("*", lang) or (cue.terse_only and not terse):
                continue
            for match in cue.pattern.finditer(lower if cue.lower else folded):
                ask = _ask(cue, match, text, folded, terse)
                if ask is not None:
                    return ask
    return None


def year_ask(question: str, lang: str, years: frozenset[str]) -> Ask | None:
    """A year the plan never mentions ("Hur många var arbetslösa 2023?"): whatever is asked about it, the
    plan cannot say. `years`: the years the plan's text names."""
    unknown = [y for y in YEAR.findall(question) if y not in years]
    if not unknown:
        return None
    return Ask("future", f"in {unknown[0]}" if lang == "en" else f"år {unknown[0]}", "", "", lang)


def _fold(text: str) -> str:
    """`index.text.fold`, one character for one, so a span of the folded text is a span of the question."""
    return "".join(fold(c)[:1] for c in text)


def _is_terse(folded: str) -> bool:
    """A keyword query: a few words, no interrogative, not a yes/no question ("har ni öppet …")."""
    words = re.findall(r"[\w-]+", folded)
    yes_no = bool(words) and words[0] in YES_NO_OPENERS
    return len(words) <= MAX_TERSE_WORDS and not yes_no and not INTERROGATIVES.intersection(words)


def _ask(cue: Cue, match: re.Match[str], text: str, folded: str, terse: bool) -> Ask | None:
    start, end = match.span("ask" if "ask" in cue.pattern.groupindex else 0)
    phrase = text[start:end].strip()
    if cue.kind == "other_plan":
        other = _other(match, text)
        return Ask(cue.kind, phrase, other) if other else None
    seed = text[match.start("subj") : match.end("subj")] if "subj" in cue.pattern.groupindex else ""
    span = (match.start(), match.end())
    # Only a Swedish noun can be looked for in the plan's Swedish text.
    counted = _counted(folded, span[1]) if cue.kind == "count" and cue.lang == "sv" else ""
    if cue.kind == "statistic" and seed:  # "hur hög är arbetslösheten": a figure of unemployment
        counted = stem(_fold(seed))
    return Ask(cue.kind, phrase, _subject(text, folded, span, cue.subject, seed, terse), counted, cue.lang)


def _counted(folded: str, end: int) -> str:
    """The first word after "hur många"/"how many": what is counted, if it is a noun phrase at all."""
    following = re.match(r"\s*([^\W\d_]+)(?:\s+([^\W\d_]+))?", folded[end:])
    word = following.group(1) if following else ""
    if word in SWEDISH_STOPWORDS or word in ENGLISH_STOPWORDS or len(word) < 3:
        return ""
    then = following.group(2) if following else None
    if word.endswith("s") and then and then not in SWEDISH_STOPWORDS:
        return word[:-1]  # a genitive counts its noun: "hur många års mellanrum" counts "år"
    return word


def _other(match: re.Match[str], text: str) -> str:
    """The other region, country or organisation as the note names it, or "" when it is this region."""
    if match.groupdict().get("org"):
        word = text[match.start("org") : match.end("org")]
        key = _fold(word)
        capitalised = word[:1].isupper() and match.start("org") > 0  # not just opening the question
        if key in NOT_OTHERS or not (capitalised or key in KNOWN_ORGANISATIONS):
            return ""
        return word[:1].upper() + word[1:]
    written = text[match.start("name") : match.end("name")]
    key = re.sub(r"\s+", " ", _fold(written))
    display = REGIONS.get(key) or COUNTRIES.get(key) or written[:1].upper() + written[1:]
    head = _fold(text[match.start() : match.start("name")]).strip()
    tail = _fold(text[match.end("name") : match.end()])
    if head in ("region", "landstinget"):
        return f"{head.capitalize()} {display}"
    for pattern, form in (
        (r"s?\s+lans?\b", "{}s län"),
        (r"\s+county", "{} County"),
        (r"\s+region", "Region {}"),
        (r"\s+kommuns", "{} kommun"),
    ):
        if re.match(pattern, tail):
            return form.format(display)
    return display


# --- Subjects --------------------------------------------------------------------------------------

PREPOSITIONS = frozenset("for pa hos i om till inom vid efter of at in on about within".split())
SUBJECT_STOPS = frozenset(
    """som att eller enligt just nu idag varje per nasta forra egentligen da dar nar hittills totalt
    sammanlagt this next last right now today currently each every according that which who or if when
    so far""".split()
)
PRONOUNS = frozenset("det den dem dessa detta de dom it that them this these those there".split())
DANGLING = PREPOSITIONS | {"och", "and", "the", "a", "an"}
NAME_TAILS = frozenset("lan lans kommun kommuns universitet".split())


def _subject(text: str, folded: str, span: tuple[int, int], strategy: str, seed: str, terse: bool) -> str:
    """Best effort: the phrase after the cue's preposition, or the question's capitalised name."""
    words = _words(text, folded, span[1])
    follows = bool(words) and words[0][1] in PREPOSITIONS
    if seed:  # the cue's own noun, with the phrase that qualifies it: "arbetslösheten i Örebro län"
        rest = _phrase(words[1:]) if follows else ""
        return f"{seed} {words[0][0]} {rest}" if rest else seed
    candidates = []
    if strategy != "name":
        if follows:
            candidates.append(_phrase(words[1:]))
        elif strategy == "object" and words:
            candidates.append(_phrase(words))
    candidates.append(_capitalised_name(text, span))
    later = next((i for i, (_, key) in enumerate(words) if key in PREPOSITIONS), None)
    if strategy != "name" and later is not None:
        candidates.append(_phrase(words[later + 1 :]))
    if terse:
        candidates.append(_keywords(text, folded, span))
    # An English infinitive reads badly after "for" ("for to take part"); a name then serves better.
    return next((c for c in candidates if c and not _fold(c).startswith("to ")), "")


def _words(text: str, folded: str, position: int) -> list[tuple[str, str]]:
    """Words from `position` to the first punctuation, as (written, folded)."""
    stop = re.search(r"[?.!,;:()\"]", folded[position:])
    limit = position + stop.start() if stop else len(text)
    return [
        (text[position + m.start() : position + m.end()], m.group())
        for m in re.finditer(r"[\w'-]+", folded[position:limit])
    ]


def _phrase(words: list[tuple[str, str]]) -> str:
    """A noun phrase from the start of `words`, up to a word that begins something else."""
    taken: list[str] = []
    for i, (written, key) in enumerate(words):
        relative_time = key == "i" and i + 1 < len(words) and words[i + 1][1] in ("ar", "host", "var")
        ends_name = key in ("och", "and") and len(taken) != 1  # "Vård och omsorgscollege" is one name
        if key in SUBJECT_STOPS or relative_time or ends_name or len(taken) == MAX_SUBJECT_WORDS:
            break
        taken.append(written)
    while taken and _fold(taken[-1]) in DANGLING:
        taken.pop()  # a phrase cut short ends on a noun: "… inom förvaltningen", not "… förvaltningen för"
    if len(taken) == 1 and _fold(taken[0]) in PRONOUNS:
        return ""
    return " ".join(taken)


def _capitalised_name(text: str, span: tuple[int, int]) -> str:
    """The first capitalised words outside the cue, not opening the question: "Stiftelsen Activa"."""
    run: list[str] = []
    for match in re.finditer(r"[\w'-]+|[^\w\s]", text):
        word, at = match.group(), match.start()
        capital = word[:1].isupper() and len(word) > 1 and at > 0 and not span[0] <= at < span[1]
        if capital or (run and _fold(word) in NAME_TAILS):
            run.append(word)
        elif run:
            break
    return " ".join(run)


def _keywords(text: str, folded: str, span: tuple[int, int]) -> str:
    """A keyword query's other words: "arbetsförmedlingen lindesberg" in "… lindesberg telefonnummer"."""
    words = [
        text[m.start() : m.end()]
        for m in re.finditer(r"[\w'-]+", folded)
        if not span[0] <= m.start() < span[1] and m.group() not in PRONOUNS and m.group() not in PREPOSITIONS
    ]
    return " ".join(words[:MAX_SUBJECT_WORDS])


# --- Satisfaction ----------------------------------------------------------------------------------

NUMBER = re.compile(r"\d+(?:[\s\u00a0]\d{3})*(?:[.,]\d+)?")
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
# Number words, matching folded and unfolded text alike ("två", "tva"); not "en/ett/one" alone. Ordinals
# count too: "vart fjärde år" answers "med hur många års mellanrum" ("andra" is left out: mostly "other").
NUMBER_WORD = (
    r"(?:tv[åa]|tre|fyra|fem|sex|sju|[åa]tta|nio|tio|elva|tolv|tretton|fjorton|femton|sexton|sjutton|arton"
    r"|nitton|(?:tjugo|trettio|fyrtio|femtio|sextio|sjuttio|[åa]ttio|nittio)\w*|hundra\w*|tusen\w*|miljon\w*"
    r"|miljard\w*|dussin|tredje|fj[äa]rde|femte|sj[äa]tte|sjunde|[åa]ttonde|nionde|tionde"
    r"|var(?:t ?)?ann(?:at|an)|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen"
    r"|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
    r"|hundreds?|thousands?|millions?|billions?|dozens?)"
)
NUMBER_WORDS = re.compile(rf"\b{NUMBER_WORD}\b")
# Nouns for people, by their first five letters (folded), any of which counts people.
PEOPLE = ("perso", "invan", "manni", "indiv", "folk", "befol", "peopl", "resid", "inhab", "citiz")
CURRENCY = re.compile(
    r"\d[\d\s\u00a0.,]*\s*(?:kr\b|kronor|sek\b|mkr\b|mnkr\b|tkr\b|msek\b|(?:miljon|miljard)\w* kronor|€|euro"
    r"|eur\b|\$|dollar)|(?:€|\$|\bsek)\s?\d|\b\w+ (?:miljon|miljard)\w* kronor\b"
)
PERCENT = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|procent|percent)|\b(?:halften|tredjedel|fjardedel|half|third|quarter)\b"
    r"|\b(?:majoritet|merpart|minoritet|majority|minority)\w*"
)
MONTHS = (
    r"(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december|january"
    r"|february|march|june|july|august|october)"
)
# Weekdays with Swedish endings only: "Fredagsakademin" names an event, not a day.
WEEKDAYS = (
    r"(?:mandag|tisdag|onsdag|torsdag|fredag|lordag|sondag)(?:en|ar|arna)?"
    r"|(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
)
DAY_DATE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}\b|\b\d{{1,2}}(?::e|e)? {MONTHS}\b"
    rf"|\b{MONTHS} \d{{1,2}}\b"
    rf"|\b(?:{WEEKDAYS})\b|\bmay \d{{1,2}}\b|\b\d{{1,2}} may\b"
)
CLOCK = re.compile(r"\b(?:kl\.?|klockan)\s*\d{1,2}|\b\d{1,2}[:.]\d{2}\b(?!\d)")
ANY_DATE = re.compile(rf"{YEAR.pattern}|\b{MONTHS}\b|{DAY_DATE.pattern}|{CLOCK.pattern}")
YEAR_RANGE = re.compile(r"\b(?:19|20)\d\d\s?[-–]\s?(?:19|20)\d\d\b")
# On the lower-cased text with its å/ä/ö: "tre år" is a duration, "tre är" is not.
DURATION = re.compile(
    rf"(?:\d+(?:[.,]\d+)?|\b{NUMBER_WORD}|\bett|\bone|\bvart \w+)\s+(?:\w+\s+)?(?:år|året|månad(?:er)?"
    r"|veck(?:a|or)|dag(?:ar)?|timm(?:e|ar)|termin(?:er)?|läsår|halvår|years?|months?|weeks?|days?|hours?"
    r"|semesters?|terms?)\b"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
# The head words of the roles a person ask names ("regiondirektör" -> "direktor"), folded: a name answers
# "Vem är X?" only next to the role X.
ROLE_HEADS = (
    "ordforande", "direktor", "rektor", "chef", "handlaggare", "projektledare", "samordnare", "landshovding",
    "talesperson", "director", "chair", "principal", "manager", "rector", "chancellor", "president",
    "coordinator", "governor", "ceo",
)
# A contact detail, not a person, is asked: a number, an address, or how to get in touch.
CONTACT_PHRASE = re.compile(
    r"telefon|phone|post|mejl|mail|kontakta|kontaktuppgift|contact(?! ?person)|touch|hold of|fa tag|vand"
)
PHONE = re.compile(r"(?:\+46|\b0)\d{1,3}[-\s]?\d{2,3}(?:[\s-]?\d{2}){1,3}\b")
# A lookahead, so pairs overlap: "Kontakta Anna Berg" yields "Kontakta Anna" and "Anna Berg".
NAME = re.compile(r"\b(?=([A-ZÅÄÖÉ][a-zåäöéü]+(?:-[A-ZÅÄÖÉ][a-zåäöéü]+)?) ([A-ZÅÄÖÉ][a-zåäöéü]+)\b)")
# Capitalised words that make a pair an organisation or a place rather than a person.
ORGANISATION_WORDS = frozenset(
    """region business handelskammaren stiftelsen svenskt naringsliv invest ab foretagspartner lansstyrelsen
    arbetsformedlingen almi tillvaxtnamnden regionfullmaktige regeringen college teknikcollege universitet
    kommun lan myndigheten sveriges sverige orebro malardalen europa eu activa sky""".split()
)
MUNICIPALITIES = (
    r"(?:Askersund|Degerfors|Hallsberg|Hällefors|Karlskoga|Kumla|Laxå|Lekeberg|Lindesberg|Ljusnarsberg|Nora"
    r"|Örebro)"
)
PLACE = re.compile(rf"\b({MUNICIPALITIES})\b(?! län)|\b([A-ZÅÄÖ]\w+) kommun\b")
YEAR_ASK = r"\bår\b|årtal|artal|\byear\b"  # on the lower-cased phrase: "vilket år", not "när är"
LIST_ITEM = re.compile(r"^\s*(?:[-•*]|\d+\.)\s+\S", re.MULTILINE)


def _amount(ask: Ask, text: str) -> bool:
    rate = re.search(r"rant|interest|\brate", _fold(ask.phrase))
    folded = _fold(text)
    return bool(CURRENCY.search(folded) or (rate and PERCENT.search(folded)))


def _numbers(text: str) -> list[str]:
    """Numbers that are not years: a year is no count."""
    return [n for n in NUMBER.findall(text) if not YEAR.fullmatch(n.strip())]


def _count(ask: Ask, text: str) -> bool:
    # A complete list answers "how many" by enumeration.
    if len(LIST_ITEM.findall(text)) >= 2:
        return True
    folded = _fold(text)
    if not ask.counted:
        return bool(_numbers(text) or NUMBER_WORDS.search(folded))
    # "Hur många personer …" is answered by a number of persons, not by "17 procent" of something else:
    # a number (or number word) within a few words before the counted noun (its stem: first five letters).
    # People are counted under many names: "hur många invånare" is answered by "302 252 personer".
    nouns = PEOPLE if ask.counted[:5] in PEOPLE else (ask.counted[:5],)
    noun = "(?:" + "|".join(re.escape(n) for n in nouns) + ")"
    # A short noun ("år") is a word of its own with an ending at most, not any word that contains it.
    counted = rf"[\w-]*{noun}" if len(ask.counted) >= 4 else rf"\b{noun}\w{{0,3}}\b"
    number = rf"(?:\d[\d\s.,]*|{NUMBER_WORD})"
    return re.search(rf"\b{number}\s+(?:[\w-]+\s+){{0,3}}?{counted}", folded) is not None


def _date(ask: Ask, text: str) -> bool:
    phrase, folded = _fold(ask.phrase), _fold(text)
    if re.search(r"oppet|oppettid|hur dags|what time|opening|vilken tid|klockslag", phrase):
        return bool(CLOCK.search(folded))
    if re.search(r"ansokningsd|ansokningstid|sista d|deadline|due date", phrase):
        return bool(DAY_DATE.search(folded))
    if re.search(YEAR_ASK, ask.phrase.lower()):
        return bool(YEAR.search(folded))
    return bool(ANY_DATE.search(folded))


def _duration(ask: Ask, text: str) -> bool:
    return bool(DURATION.search(text.lower()) or YEAR_RANGE.search(text))


def _person(ask: Ask, text: str, passage: str = "") -> bool:
    if not _about_subject(ask, f"{passage} {text}"):
        return False  # the region's number does not answer "Arbetsförmedlingen Lindesberg telefonnummer"
    contact = EMAIL.search(text) or PHONE.search(text)
    if ask.asks_contact:
        return bool(contact)
    role = next((head for head in ROLE_HEADS if head in _fold(ask.phrase)), "")
    if role and role not in _fold(text):
        return False  # a regionråd's name does not answer "Vem är regiondirektör?"
    return bool(contact or _personal_name(text))


def _about_subject(ask: Ask, text: str) -> bool:
    """Whether the text names everything the ask's subject names (each word of 4+ letters, by its first five
    letters, so inflections match): a contact is only an answer for whom it was asked."""
    if ask.lang == "en":
        return True
    folded = _fold(text)
    words = [w for w in re.findall(r"[a-z]{4,}", _fold(ask.subject)) if w not in SWEDISH_STOPWORDS]
    return all(w[:5] in folded for w in words)


def _personal_name(text: str) -> bool:
    for match in NAME.finditer(text):
        if {_fold(match.group(1)), _fold(match.group(2))} & ORGANISATION_WORDS:
            continue
        before = text[: match.start()].rstrip(" \t")
        opens_sentence = not before or before[-1] in ".!?:\n"
        # A signature opens its line but is followed by a title: "Irén Lejegren, Regionråd (S)".
        if not opens_sentence or text[match.end(2) : match.end(2) + 1] == ",":
            return True
    return False


def _never(ask: Ask, text: str) -> bool:
    return False


def _future(ask: Ask, text: str) -> bool:
    year = YEAR.search(ask.phrase)
    return bool(year and re.search(rf"\b{year.group()}\b", text))


def _statistic(ask: Ask, text: str) -> bool:
    if ask.counted:  # the figure must be of the thing asked about, not any figure in the answer
        near = rf"(?:\d[\d\s.,]*\s*(?:%|procent)?|{NUMBER_WORD})"
        noun = rf"[\w-]*{re.escape(ask.counted)}[\w-]*"
        gap = r"\s+(?:[\w-]+\s+){0,5}?"
        return re.search(rf"{near}{gap}{noun}|{noun}{gap}{near}", _fold(text)) is not None
    folded = _fold(text)
    if re.search(SUPERLATIVES, _fold(ask.phrase)):
        places = {m.group(1) or m.group(2) for m in PLACE.finditer(text)}
        asked = set(re.findall(r"\w+", _fold(f"{ask.phrase} {ask.subject}")))
        new_place = any(_fold(p) not in asked for p in places)
        return new_place and bool(re.search(SUPERLATIVES, folded) or _numbers(text))
    if SHARE_ASK.search(_fold(ask.phrase)):  # "vilken andel", "what share": a share, not a count
        return PERCENT.search(folded) is not None
    return bool(PERCENT.search(folded) or _numbers(text))


SHARE_ASK = re.compile(r"andel|procent|share|percent|proportion|fraction")


def _outcome(ask: Ask, text: str) -> bool:
    return OUTCOME.search(_fold(text)) is not None


SATISFIERS: dict[str, Callable[[Ask, str], bool]] = {
    "amount": _amount,
    "count": _count,
    "date": _date,
    "duration": _duration,
    "person": _person,
    "other_plan": _never,
    "future": _future,
    "statistic": _statistic,
    "outcome": _outcome,
    "procedure": _never,
}
OUTCOME = re.compile(r"\b(?:resultat\w*|ledde till|har lett till|resulterade|utvardering\w*)")


# --- Notes -----------------------------------------------------------------------------------------

# What the plan does not give, by the words of the ask (folded), first match wins: (kind, cue, sv, en).
# Vocabulary, per language; the sentence around it is the wording layer's (Texts.plan_lacks).
MISSING: tuple[tuple[str, str, str, str], ...] = (
    ("amount", r"budget", "anger ingen budget", "gives no budget"),
    ("amount", r"rant|interest|\brate", "anger ingen räntesats", "gives no interest rate"),
    ("amount", r"lon|tjan|salar|wage|earn|\bpay\b", "anger ingen lön", "gives no salary"),
    ("amount", r"avgift|\bfees?\b", "anger ingen avgift", "gives no fee"),
    ("amount", r"pris|price", "anger inget pris", "gives no price"),
    ("amount", r"kost|cost", "anger ingen kostnad", "gives no cost"),
    ("amount", r"arvode", "anger inget arvode", "gives no fee"),
    ("amount", r"ersattning", "anger ingen ersättning", "gives no compensation"),
    ("amount", r"", "anger inget belopp", "gives no amount"),
    ("count", r"", "anger inget antal", "gives no number"),
    ("date", r"oppet|oppettid|opening", "anger inga öppettider", "gives no opening hours"),
    ("date", r"hur dags|what time|vilken tid|klockslag", "anger ingen tid", "gives no time"),
    (
        "date",
        r"ansokningsd|ansokningstid|sista d|deadline|due date",
        "anger ingen sista ansökningsdag",
        "gives no deadline",
    ),
    ("date", YEAR_ASK, "anger inget år", "gives no year"),
    ("date", r"", "anger inget datum", "gives no date"),
    ("duration", r"", "anger ingen tidslängd", "gives no duration"),
    ("person", r"telefon|phone", "anger inget telefonnummer", "gives no phone number"),
    ("person", r"post|mejl|mail", "anger ingen e-postadress", "gives no e-mail address"),
    ("person", rf"{AUTHORSHIP_SV}|{AUTHORSHIP_EN}|author", "namnger ingen författare", "names no author"),
    ("person", r"ordforande|chair", "namnger ingen ordförande", "names no chair"),
    ("person", r"rektor|principal|rector|chancellor", "namnger ingen rektor", "names no principal"),
    (
        "person",
        r"chef|head|director|direktor|manager|ceo|\bvd\b|president",
        "namnger ingen chef",
        "names no head",
    ),
    ("person", r"handlaggare|case officer", "namnger ingen handläggare", "names no case officer"),
    (
        "person",
        r"kontakta|kontaktuppgift|contact(?! ?person)|touch|hold of|fa tag|vand",
        "anger inga kontaktuppgifter",
        "gives no contact details",
    ),
    ("person", r"", "anger ingen kontaktperson", "names no contact person"),
    ("statistic", r"", "anger ingen siffra", "gives no figure"),
    ("outcome", r"", "redovisar inga resultat", "reports no results"),
)
SET_PLURALS = {  # folded set word -> (sv, en); "land" before "lan", which it would otherwise match
    "land": ("länderna", "countries"),
    "countr": ("länderna", "countries"),
    "kommun": ("kommunerna", "municipalities"),
    "municipalit": ("kommunerna", "municipalities"),
    "tatort": ("orterna", "towns"),
    "ort": ("orterna", "towns"),
    "town": ("orterna", "towns"),
    "stad": ("städerna", "cities"),
    "city": ("städerna", "cities"),
    "cities": ("städerna", "cities"),
    "region": ("regionerna", "regions"),
    "lan": ("länen", "counties"),
    "count": ("länen", "counties"),
    "kommundel": ("kommundelarna", "districts"),
    "district": ("kommundelarna", "districts"),
}
TIME_WORDS = frozenset(
    "nasta kommande innevarande arets forra i till next this coming upcoming last tomorrow imorgon".split()
)
PAST = re.compile(r"forra|fjol|hostas|varas|somras|vintras|\blast\b")
EVENT_ASK = re.compile(rf"\b(?:nasta|kommande|arets|next|upcoming)\s+(?:[\w-]+\s+)?{EVENTS}")


def _missing(ask: Ask, texts: Texts) -> str:
    phrase, lower = _fold(ask.phrase), ask.phrase.lower()
    for kind, cue, sv_text, en_text in MISSING:
        if kind == ask.kind and (re.search(cue, phrase) or re.search(cue, lower)):
            what = en_text if texts.lang == "en" else sv_text
            break
    else:
        what = texts.lacks_such
    target = texts.lacks_target.format(subject=ask.subject) if ask.subject else ""
    return texts.plan_lacks.format(what=what, target=target)


def _other_note(ask: Ask, texts: Texts) -> str:
    other = ask.subject or ask.phrase
    plan = _plan_words(ask)
    if texts.lang == "en":
        genitive = f"{other}'s"
    else:
        genitive = other if other.endswith(("s", "x", "z")) else f"{other}s"
    target = f"{genitive} {plan}" if plan else other
    return texts.other_plan.format(plan=texts.plan_name, target=target)


def _plan_words(ask: Ask) -> str:
    """The words after the name in "Region Gävleborgs regionala plan": "regionala plan", or "" if none."""
    named = set(_fold(ask.subject).split()) | {"region", "landstinget", "lan", "county", "kommun"}
    words = ask.phrase.split()
    long_names = tuple(n for n in _fold(ask.subject).split() if len(n) > 3)
    while words and (
        _fold(words[0]) in named
        or re.sub(r"(?:'s|s)$", "", _fold(words[0])) in named
        or _fold(words[0]).startswith(long_names)  # "Götalandsregionens": the name as a compound
    ):
        words.pop(0)
    rest = " ".join(words).lower()
    return rest if re.search(rf"\b{PLAN_WORDS}", _fold(rest)) else ""


# Time words in their Swedish spelling: a question typed without å/ä/ö (or restored as "nästa är") still
# gets a note that reads "nästa år".
TIME_SPELLING = {
    "nasta": "nästa",
    "ar": "år",
    "aret": "året",
    "arets": "årets",
    "forra": "förra",
    "host": "höst",
    "hosten": "hösten",
    "hostas": "höstas",
    "var": "vår",
    "varen": "våren",
    "varas": "våras",
    "manad": "månad",
    "manaden": "månaden",
    "lasar": "läsår",
    "gang": "gång",
    "fjolarets": "fjolårets",
}


def _time_phrase(phrase: str) -> str:
    words = phrase.split()
    spelled = [TIME_SPELLING.get(_fold(w), w) for w in words]
    if spelled and spelled[0][:1].isupper() and _fold(spelled[0]) in TIME_WORDS:
        spelled[0] = spelled[0].lower()  # "Nästa år …" opened the question; mid-sentence it is lower case
    return " ".join(spelled)


def _future_note(ask: Ask, texts: Texts) -> str:
    phrase = _fold(ask.phrase)
    content = re.search(FUTURE_CONTENT_SV, phrase) or re.search(FUTURE_CONTENT_EN, phrase)
    if content:  # "Vad kommer strategin att innehålla?" -> "vad strategin kommer att innehålla"
        written = ask.phrase[content.start("what") : content.end("what")].strip()
        doing = ask.phrase[content.start("will") : content.start("what")].strip()
        rest = ask.phrase[content.end("what") : content.end()].strip()
        return texts.future_content.format(what=f"{written} {doing} {rest}")
    written = _time_phrase(ask.phrase)
    if EVENT_ASK.search(phrase):
        article = "the " if texts.lang == "en" and not phrase.startswith("the ") else ""
        return texts.future_event.format(event=f"{article}{written}")
    past = bool(PAST.search(phrase))
    return (texts.future_happened if past else texts.future_happens).format(when=written)


def _statistic_note(ask: Ask, texts: Texts) -> str:
    phrase = _fold(ask.phrase)
    if not re.search(SUPERLATIVES, phrase):
        return _missing(ask, texts)
    plural = next((p for key, p in SET_PLURALS.items() if re.search(rf"\b{key}", phrase)), None)
    sv_set, en_set = plural or ("kommunerna", "municipalities")
    return texts.no_comparison.format(set=en_set if texts.lang == "en" else sv_set)


NOTES: dict[str, Callable[[Ask, Texts], str]] = {
    "amount": _missing,
    "count": _missing,
    "date": _missing,
    "duration": _missing,
    "person": _missing,
    "other_plan": _other_note,
    "future": _future_note,
    "statistic": _statistic_note,
    "outcome": lambda ask, texts: texts.no_results,
    "procedure": lambda ask, texts: texts.no_instructions,
}
