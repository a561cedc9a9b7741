"""Evidence remembered from the labelled corpus (knowledge/corpus/): for a new question, the plan's sentences
that answered the corpus questions most like it.

Each corpus question names the plan's sentences that answer it, by their text, so a revised plan re-anchors
them. Its vector is the one the engine searches with (the question analysed and embedded as any other), so a
new question meets the corpus questions asked about the same thing in other words. The vote for a sentence
is the share of the nearest questions' weight (a softmax over their cosines) whose answers hold it.

Measured on the corpus (1,079 questions with gold), with each question's neighbours taken only from the other
writers' batches: the best sentence of the engine's preferences holds the answer for 0.563 of them, with the
vote added (weight 1; the composer adds it to the ranking's sentence scores, W_MEMORY) 0.600. In use every
batch counts, so a question about any part of the plan finds neighbours from the batch that focused on it.

The corpus's off-topic questions are remembered too: `in_scope_share` is the weight (the same softmax) of a
new question's nearest corpus questions that are about the plan. Near-miss questions the plan does not answer
("Vad blir det för väder på Fredagsakademin?", "Vad tjänar en undersköterska i Örebro?") lie close to those
written off topic, in words the plan shares; handlers/composing/answerability.py weighs it in.

Built once per index (as the checked follow-up questions are) and stored beside it: `memory.npz`, keyed by
the corpus's and the index's identity.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.store import Sentence

log = logging.getLogger(__name__)

FILE_NAME = "memory.npz"
NEIGHBOURS = 10
# Cosines of e5 question vectors: a paraphrase and a question about a neighbouring subject differ by a few
# hundredths, so the weight falls off over a few hundredths.
TEMPERATURE = 0.02
MIN_ANCHOR_CHARS = 15  # a shorter stored sentence (a heading word, a list item "Almi") anchors no gold
# A stored sentence within a gold one anchors it when it is this share of it, or a sentence this long.
PART_SHARE = 0.4
PART_CHARS = 50
ANCHORING = "2"  # how gold is anchored: stored memories anchored otherwise are built again


@dataclass(frozen=True)
class Memory:
    vectors: np.ndarray  # (questions, dimension), as the engine searches with them
    offsets: np.ndarray  # question i's sentences are sentence_ids[offsets[i]:offsets[i + 1]]
    sentence_ids: np.ndarray
    sentences: int  # how many sentences the index has
    # Every corpus question, off topic too, and whether it is about the plan.
    scope_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    scope_in: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def in_scope_share(self, vector: np.ndarray) -> float | None:
        """The weight of the nearest corpus questions that are about the plan (0 to 1); None without a
        corpus that has questions of both kinds."""
        if not len(self.scope_in) or self.scope_in.all() or not self.scope_in.any():
            return None
        cosines = self.scope_vectors @ vector
        k = min(NEIGHBOURS, len(cosines))
        nearest = np.argpartition(-cosines, k - 1)[:k]
        weights = np.exp((cosines[nearest] - cosines[nearest].max()) / TEMPERATURE)
        return float((weights * self.scope_in[nearest]).sum() / weights.sum())

    def vote(self, vector: np.ndarray) -> np.ndarray:
        """Per stored sentence: the share of the nearest corpus questions' weight it answers (0 to 1)."""
        votes = np.zeros(self.sentences, dtype=np.float32)
        if not len(self.vectors):
            return votes
        cosines = self.vectors @ vector
        k = min(NEIGHBOURS, len(cosines))
        nearest = np.argpartition(-cosines, k - 1)[:k]
        weights = np.exp((cosines[nearest] - cosines[nearest].max()) / TEMPERATURE)
        weights /= weights.sum()
        for question, weight in zip(nearest, weights, strict=True):
            votes[self.sentence_ids[self.offsets[question] : self.offsets[question + 1]]] += weight
        return votes

    @classmethod
    def empty(cls, sentences: int, dimension: int) -> Memory:
        no_vectors = np.zeros((0, dimension), np.float32)
        no_ids = np.zeros(0, np.int64)
        return cls(no_vectors, np.zeros(1, np.int64), no_ids, sentences, no_vectors, np.zeros(0, bool))

    @classmethod
    def load_or_build(
        cls,
        folder: Path,
        corpus_dir: Path,
        sentences: Sequence[Sentence],
        dimension: int,
        embed: Callable[[list[str]], np.ndarray],
        index_id: str,
    ) -> Memory:
        """The memory stored with the index, or built now (analysing and embedding every corpus question)
        and stored. `index_id` names the index, so a rebuilt index gets its own."""
        rows = corpus_rows(corpus_dir)
        key = corpus_key(rows, index_id)
        path = folder / FILE_NAME
        try:
            with np.load(path) as stored:
                if str(stored["key"]) == key and int(stored["sentences"]) == len(sentences):
                    arrays = [stored[name] for name in ("vectors", "offsets", "sentence_ids")]
                    scope = [stored[name] for name in ("scope_vectors", "scope_in")]
                    return cls(*arrays, len(sentences), *scope)
        except (OSError, KeyError, ValueError):
            pass
        memory = cls.build(rows, sentences, dimension, embed)
        log.info(
            "Minne av korpusen: %d frågor med belägg, %d utanför planen",
            len(memory.vectors),
            int((~memory.scope_in).sum()),
        )
        # Written under a temporary name, then renamed: two processes loading one new index never read half.
        temporary = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        try:
            np.savez(
                temporary,
                key=key,
                sentences=len(sentences),
                vectors=memory.vectors,
                offsets=memory.offsets,
                sentence_ids=memory.sentence_ids,
                scope_vectors=memory.scope_vectors,
                scope_in=memory.scope_in,
            )
            os.replace(temporary, path)
        except OSError as error:  # a read-only index still works; the memory is built again next start
            log.warning("Kunde inte spara minnet i %s: %s", path, error)
        return memory

    @classmethod
    def build(
        cls,
        rows: list[dict],
        sentences: Sequence[Sentence],
        dimension: int,
        embed: Callable[[list[str]], np.ndarray],
    ) -> Memory:
        """From corpus rows (in scope with gold, and off topic): every question embedded once."""
        if not rows:
            return cls.empty(len(sentences), dimension)
        plain = [plain_text(s.text) for s in sentences]
        scope_vectors = np.asarray(embed([row["q"] for row in rows]), dtype=np.float32).reshape(-1, dimension)
        scope_in = np.asarray([in_scope(row) for row in rows], dtype=bool)
        anchored = [(i, anchor(row.get("gold", []), plain)) for i, row in enumerate(rows) if in_scope(row)]
        anchored = [(i, ids) for i, ids in anchored if ids]
        lengths = [len(ids) for _, ids in anchored]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        ids = np.asarray([i for _, found in anchored for i in found], dtype=np.int64)
        vectors = scope_vectors[[i for i, _ in anchored]].reshape(-1, dimension)
        return cls(vectors, offsets, ids, len(sentences), scope_vectors, scope_in)


def anchor(gold: list[str], plain_sentences: Sequence[str]) -> list[int]:
    """The stored sentences (see plain_text) that hold a gold sentence's words, or make up much of it (the
    index may split what the corpus writer copied as one). A short line inside it is not its evidence: the
    name "Region Örebro län" (a heading, the contact card's first line) lies within hundreds of gold
    sentences."""
    found: list[int] = []
    for text in (plain_text(g) for g in gold):
        for i, stored in enumerate(plain_sentences):
            if len(stored) < MIN_ANCHOR_CHARS or i in found:
                continue
            part = stored in text and (len(stored) >= PART_SHARE * len(text) or len(stored) >= PART_CHARS)
            if text in stored or part:
                found.append(i)
    return found


def plain_text(text: str) -> str:
    """Lower case, footnote marks dropped, whitespace collapsed: how a writer's copy and the index compare."""
    return " ".join(re.sub(r"\*", "", text.lower()).split())


def corpus_rows(folder: Path) -> list[dict]:
    """The corpus's questions: in scope with their gold, and off topic."""
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return [row for row in rows if not in_scope(row) or row.get("gold")]


def in_scope(row: dict) -> bool:
    return row.get("cat") != "out_of_scope"


def corpus_key(rows: list[dict], index_id: str) -> str:
    digest = hashlib.sha256(f"{ANCHORING}:{index_id}".encode())
    for row in rows:
        entry = [row["q"], row.get("gold", []), in_scope(row)]
        digest.update(json.dumps(entry, ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()
