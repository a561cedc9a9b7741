"""Questions in parts: handlers.understanding.parts finds them, handlers.composing.parts makes one reply, and
the engine answers each part from its own evidence (a later part as a follow-up of the one before)."""

from __future__ import annotations

import asyncio

import pytest

from handlers.composing.parts import combine
from handlers.model.answer import ANSWERED, DECLINED, Answer, Source
from handlers.model.context import Context
from handlers.understanding.parts import split_parts
from handlers.wording.render import answer_json, markdown
from handlers.wording.texts import SV


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        (
            "Vad gör Teknikcollege och vem står bakom Vård- och omsorgscollege?",
            ["Vad gör Teknikcollege?", "vem står bakom Vård- och omsorgscollege?"],
        ),
        ("När revideras planen, och vem ansvarar?", ["När revideras planen?", "vem ansvarar?"]),
        ("När antogs strategin? Vem ansvarar för den?", ["När antogs strategin?", "Vem ansvarar för den?"]),
        ("what does almi do and who owns it", ["what does almi do?", "who owns it?"]),
        (
            "Jag jobbar på en kommun. Vad är REKO? Och vad gör Gysam?",
            ["Jag jobbar på en kommun. Vad är REKO?", "Och vad gör Gysam?"],
        ),
    ],
)
def test_a_message_that_asks_two_things_has_two_parts(message: str, parts: list[str]) -> None:
    assert split_parts(message) == parts


@pytest.mark.parametrize(
    "message",
    [
        "Vad gör Almi?",
        "Vad säger planen om vård och omsorg?",  # "och" joins two nouns, not two questions
        "Vem och när?",  # one word before the join: one question about two sides
        "Jag driver ett företag och vill anställa. Vad kan vi göra?",  # a situation, then one question
        "Almi och Arbetsförmedlingen",
    ],
)
def test_a_message_that_asks_one_thing_is_one_part(message: str) -> None:
    assert split_parts(message) == [message]


def _answer(body: str, outcome: str = ANSWERED, section: str = "Aktörer > Almi", page: int = 27) -> Answer:
    source = Source(section, section, page, body, 1.0)
    cited = [source] if outcome != DECLINED else []
    return Answer("q", body, outcome, cited, [source], [], "sv", Context("q", section, ""))


def test_every_answered_part_leads_in_order_with_its_place() -> None:
    first = _answer("Almi ägs av staten.")
    second = _answer("- Teknikcollege\n- Vård- och omsorgscollege", section="Aktörer > College", page=29)
    reply = combine(
        "Vem äger Almi och vilka college finns?", ["Vem äger Almi?", "vilka college finns?"], [first, second]
    )
    assert reply.outcome == ANSWERED and reply.answered
    assert reply.body == (
        "Almi ägs av staten. (Almi, s. 27)\n\n- Teknikcollege\n- Vård- och omsorgscollege\n(College, s. 29)"
    )
    assert [s.section for s in reply.sources] == ["Aktörer > Almi", "Aktörer > College"]
    assert reply.context == second.context  # a follow-up refers to what was asked last
    assert not reply.related


def test_a_passage_that_answers_both_parts_is_shown_once() -> None:
    body = "Syftet med REKO är att samordna vuxenutbildningen. Deltagare är ansvariga för vuxenutbildningar."
    first, second = _answer(body, section="Aktörer > REKO"), _answer(body, section="Aktörer > REKO")
    reply = combine("Vad är REKO till för och vilka sitter med där?", ["Vad är REKO till för", "vilka …?"],
                    [first, second])
    assert reply.body.count("Syftet med REKO") == 1
    assert reply.body == f"{body} (REKO, s. 27)"


def test_only_answered_parts_are_combined() -> None:
    declined = _answer(SV.decline, DECLINED)
    with pytest.raises(ValueError):
        combine("Vem äger Almi och vad kostar bussen?", ["Vem äger Almi?", "vad kostar bussen?"],
                [_answer("Almi ägs av staten."), declined])


def test_a_part_the_plan_does_not_answer_alone_gets_the_whole_message_answered(real_qa) -> None:
    # Asked alone, the second part is off topic; the reply is the whole message's, with no sentence that
    # claims the plan lacks something.
    message = "Vem äger Almi och vad kostar en busskort?"
    assert answer_json(real_qa.answer(message)) == answer_json(real_qa._answer_one(message, None))


def test_the_engine_answers_each_part_from_its_own_evidence(real_qa) -> None:
    answer = real_qa.answer("Vem äger Almi och vad gör Teknikcollege?")
    assert answer.answered
    text = markdown(answer)
    assert "ägs av staten" in text and "Teknikcollege" in text
    sections = {s.section for s in answer.sources}
    assert "Aktörer > Almi" in sections and "Aktörer > Teknikcollege" in sections
    assert answer_json(answer)["answered"] is True


def test_a_later_part_is_asked_as_a_follow_up_of_the_first(real_qa) -> None:
    alone = real_qa.answer("Vem äger Almi?")
    answer = real_qa.answer("Vad gör Almi och vem äger bolaget?")
    assert alone.body.split(".")[0] in answer.body  # "bolaget" is Almi: the second part found who owns it


def test_the_server_path_gives_the_same_answer(real_qa) -> None:
    question = "Vem äger Almi och vad gör Teknikcollege?"
    assert answer_json(asyncio.run(real_qa.answer_async(question))) == answer_json(real_qa.answer(question))


def test_each_part_leads_with_its_own_answer_not_the_actors_other_mentions(real_qa) -> None:
    # An actor's answer lists where else the plan names it; in a reply to two questions that would stand
    # between the first answer and the second, so each part gives only its answer.
    answer = real_qa.answer("Vad är Gysam? Och vad gör REKO?")
    text = markdown(answer)
    assert "gymnasiechefer" in text and "vuxenutbildningar" in text
    assert "Planen tar också upp" not in text and not answer.related


def test_a_later_part_does_not_repeat_what_answered_an_earlier_one(real_qa) -> None:
    # Both parts are about the same report: the second is answered by the sentence the first did not show.
    answer = real_qa.answer("Hur ofta tar regionen fram sin lägesrapport om länet, och vad tar den upp?")
    first, second = answer.body.split("\n\n")
    assert "vart annat år" in first and "demografiska förändringar" in second
    assert "som ambition" in first and "som ambition" not in second


def test_the_server_path_answers_later_parts_from_new_evidence_too(real_qa) -> None:
    question = "Hur ofta tar regionen fram sin lägesrapport om länet, och vad tar den upp?"
    assert answer_json(asyncio.run(real_qa.answer_async(question))) == answer_json(real_qa.answer(question))
