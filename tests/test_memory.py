"""The corpus's memory (handlers/composing/memory.py): gold sentences anchored by text, the nearest questions'
vote, stored beside the index and built again only when the corpus or the index changes; and the real one,
built from knowledge/corpus/ with the real engine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from handlers.composing.memory import FILE_NAME, Memory, anchor
from index.store import Sentence

SENTENCES = [
    Sentence(0, "Almi Företagspartner AB ägs av staten."),
    Sentence(0, "Bolaget erbjuder lån och affärsutveckling till företag."),
    Sentence(1, "Teknikcollege är en samverkan mellan kommuner och företag."),
    Sentence(1, "Almi"),  # too short to anchor anything
]


def _corpus(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    (folder / "c1.jsonl").write_text("\n".join(lines), encoding="utf-8")
    return folder


ROWS = [
    {"q": "Vem äger Almi?", "cat": "fact", "gold": ["Almi Företagspartner AB ägs av staten."]},
    {
        "q": "Vad är Teknikcollege?",
        "cat": "role",
        "gold": ["*Teknikcollege är en samverkan mellan kommuner och företag. Det ger utbildning."],
    },
    {"q": "Vad kostar bussen?", "cat": "out_of_scope", "gold": []},
]


class Embeddings:
    """Vectors for the test's questions: each question its own axis, so the nearest is known."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, questions: list[str]) -> np.ndarray:
        self.calls += 1
        return np.eye(4, dtype=np.float32)[[QUESTIONS.index(q) for q in questions]]


QUESTIONS = ["Vem äger Almi?", "Vad är Teknikcollege?", "Vad kostar bussen?"]


def test_gold_is_anchored_by_text_whatever_the_footnote_marks_and_splits() -> None:
    plain = [" ".join(s.text.lower().split()) for s in SENTENCES]
    assert anchor(ROWS[0]["gold"], plain) == [0]
    assert anchor(ROWS[1]["gold"], plain) == [2]  # the stored sentence lies within the copied passage
    assert anchor(["Något planen inte säger alls."], plain) == []


def test_a_name_within_a_gold_sentence_is_not_its_evidence() -> None:
    """A short line that lies within a gold sentence (a heading, a contact card's first line: the name
    "Region Örebro län" lies within hundreds of them) does not anchor it; a part of it that is a sentence
    does (the index may split what the writer copied as one)."""
    stored = ["region örebro län", "regionen stöttar genom omvärldsbevakning och dialog."]
    gold = ["Region Örebro län har uppdraget. Regionen stöttar genom omvärldsbevakning och dialog."]
    assert anchor(gold, stored) == [1]
    assert anchor(["Region Örebro län"], stored) == [0]  # the line itself is gold when copied as such


def test_the_nearest_questions_vote_for_what_answered_them(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", ROWS)
    memory = Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, Embeddings(), "i1")
    assert len(memory.vectors) == 2  # the off-topic question has no gold: nothing to remember
    vote = memory.vote(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32))
    assert vote.shape == (len(SENTENCES),)
    assert vote[0] > 0.99 and vote[2] < 0.01  # nearly all the weight on the nearest question
    assert 0.99 < vote.sum() < 1.01


def test_the_memory_is_stored_and_built_again_only_when_something_changed(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", ROWS)
    embed = Embeddings()
    first = Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, embed, "i1")
    assert (tmp_path / FILE_NAME).exists() and embed.calls == 1
    again = Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, embed, "i1")
    assert embed.calls == 1 and np.array_equal(again.sentence_ids, first.sentence_ids)
    Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, embed, "i2")  # a rebuilt index
    assert embed.calls == 2
    _corpus(corpus, ROWS[:1])  # a revised corpus
    assert len(Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, embed, "i2").vectors) == 1
    assert embed.calls == 3


def test_an_empty_memory_votes_for_nothing() -> None:
    assert not Memory.empty(3, 4).vote(np.ones(4, dtype=np.float32)).any()
    assert Memory.empty(3, 4).in_scope_share(np.ones(4, dtype=np.float32)) is None


def test_the_nearest_questions_say_how_much_a_question_is_about_the_plan(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", ROWS)
    memory = Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, Embeddings(), "i1")
    assert list(memory.scope_in) == [True, True, False]  # every question, the off-topic one too
    near_the_bus = memory.in_scope_share(np.array([0.0, 0.0, 1.0, 0.0], dtype=np.float32))
    near_almi = memory.in_scope_share(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32))
    assert near_the_bus is not None and near_the_bus < 0.01
    assert near_almi is not None and near_almi > 0.99
    stored = Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, Embeddings(), "i1")  # read back
    assert np.array_equal(stored.scope_in, memory.scope_in)
    assert np.array_equal(stored.scope_vectors, memory.scope_vectors)


def test_without_off_topic_questions_the_neighbours_say_nothing(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus", ROWS[:2])
    memory = Memory.load_or_build(tmp_path, corpus, SENTENCES, 4, Embeddings(), "i1")
    assert memory.in_scope_share(np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)) is None


def test_the_real_memory_remembers_the_corpus(real_qa) -> None:
    memory = real_qa.composer.memory
    assert len(memory.vectors) > 1000  # the corpus's in-scope questions with gold anchored
    vector = real_qa.embed_questions(["Vem äger Almi Företagspartner?"])[0]
    best = int(np.argmax(memory.vote(vector)))
    assert "staten" in real_qa.searcher.stored.sentences[best].text


def test_held_out_figures_use_only_the_other_batches_memory(real_qa, tmp_path: Path) -> None:
    """`bot.py eval --corpus-cv` and `--ask-back-curve`: while a batch is asked, the memory holds the other
    batches only; the engine's own memory is back afterwards."""
    from handlers.quality.calibration import cross_validated, held_out

    almi = "Almi Företagspartner AB ägs av staten och är moderbolag i en koncern med 16 regionala dotterbolag"
    rows = {
        "b1": {"id": "b1-1", "batch": "b1", "q": "Vem äger Almi?", "cat": "fact", "gold": [almi],
               "answer_any": [["staten"]], "style": "nat"},
        "b2": {"id": "b2-1", "batch": "b2", "q": "Vad kostar en pizza?", "cat": "out_of_scope", "gold": [],
               "answer_any": [], "style": "oos"},
    }
    for name, row in rows.items():
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    kept = real_qa.composer.memory
    sizes = [
        (len(real_qa.composer.memory.vectors), len(real_qa.composer.memory.scope_in))
        for _ in held_out(real_qa, tmp_path)
    ]
    assert sizes == [(0, 1), (1, 1)]  # b1 asked with b2's memory (off topic), b2 with b1's (one question)
    assert real_qa.composer.memory is kept
    results = cross_validated(real_qa, tmp_path)
    assert [(r.case.id, r.case.in_scope, r.answer.answered) for r in results] == [
        ("b1-1", True, True),
        ("b2-1", False, False),
    ]
    assert real_qa.composer.memory is kept


def test_the_corpus_folder_is_configurable_and_empty_means_the_shipped_one(tmp_path: Path) -> None:
    from index.config import Config

    assert Config.from_env({"KOMPETENSBOT_CORPUS": str(tmp_path)}).corpus_dir == tmp_path
    assert Config.from_env({"KOMPETENSBOT_CORPUS": ""}).corpus_dir == Config().corpus_dir
