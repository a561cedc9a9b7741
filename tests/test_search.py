"""index.search and index.glossary on the real plan: hybrid retrieval, compounds, coverage, sentence-level
fusion of dense and lexical scores."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from index.chunk import Chunk
from index.glossary import Glossary, Translation
from index.search import (
    LEXICAL_SCALE,
    W_CHAPTER,
    W_HEADING,
    W_LEXICAL_PASSAGE,
    W_LEXICAL_SENTENCE,
    W_PASSAGE,
    W_SENTENCE,
    HybridSearcher,
    QueryTerms,
)
from index.store import Manifest, Sentence, StoredIndex
from index.text import fold, stem, tokens

GLOSSARY_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "glossary_en_sv.tsv"
NO_TERMS = QueryTerms([], 0.0)


@pytest.fixture(scope="module")
def searcher(real_qa):
    return real_qa.searcher


@pytest.fixture(scope="module")
def embedder(real_qa):
    return real_qa.embedder


def term(word: str) -> str:
    """A word as the index holds it: folded, then stemmed."""
    return stem(fold(word))


def rank(searcher, embedder, question, k=10):
    return searcher.rank(embedder.query(question), searcher.query_terms(question), k=k)


def rank_all(searcher, embedder, question):
    """Every chunk, as rank orders them."""
    return rank(searcher, embedder, question, k=len(searcher.chunks))


def z(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def relative(values: np.ndarray) -> np.ndarray:
    return values / values.max() if values.max() > 0 else np.zeros_like(values)


def sentence_chunks(searcher) -> np.ndarray:
    return np.array([s.chunk for s in searcher.stored.sentences])


def headings(searcher) -> np.ndarray:
    return np.array([s.kind == "heading" for s in searcher.stored.sentences], dtype=float)


# --- retrieval -----------------------------------------------------------------------------------------


def test_almi_question_ranks_almi_first(searcher, embedder):
    hits = rank(searcher, embedder, "Vad gör Almi?", k=5).hits
    assert hits[0].chunk.section == "Aktörer > Almi"
    assert hits[0].lexical > 0 and hits[0].dense > 0


def test_folded_question_ranks_like_the_plans_spelling(searcher, embedder):
    # The lexical side folds diacritics: without å/ä/ö the question has the same terms.
    assert (
        searcher.query_terms("Vad gor Almi i lanet?").terms
        == searcher.query_terms("Vad gör Almi i länet?").terms
    )
    question = "Vad gör Almi?"
    assert searcher.rank(embedder.query(question), searcher.query_terms("vad gor almi")).hits[
        0
    ].chunk.section == ("Aktörer > Almi")


def test_rank_returns_k_distinct_hits_sorted_by_score(searcher, embedder):
    question = "Vilka insatsområden finns för validering?"
    for k in (1, 5, 10):
        hits = rank(searcher, embedder, question, k=k).hits
        assert len(hits) == k
        assert len({h.chunk_index for h in hits}) == k
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert all(searcher.chunks[h.chunk_index] is h.chunk for h in hits)


def test_rank_with_k_beyond_index_returns_every_chunk_once(searcher, embedder):
    hits = rank(searcher, embedder, "Vad gör Almi?", k=10_000).hits
    assert sorted(h.chunk_index for h in hits) == list(range(len(searcher.chunks)))


def test_compound_paraphrase_gets_lexical_hits_on_the_compound(searcher, embedder):
    question = "försörjning av kompetens i länet"
    terms = searcher.query_terms(question)
    assert term("försörjning") in terms.terms and term("kompetens") in terms.terms

    hits = rank_all(searcher, embedder, question).hits
    top_lexical = sorted(hits, key=lambda h: -h.lexical)[:5]
    assert all("kompetensförsörjning" in h.chunk.text.lower() for h in top_lexical)


def test_compound_is_found_only_through_its_parts(searcher, embedder):
    # Chunks that say "kompetensförsörjning" but never "kompetens" or "försörjning" on their own still
    # match "försörjning av kompetens" lexically: the compound is split into its parts.
    question = "försörjning av kompetens"
    parts = {term("försörjning"), term("kompetens")}
    only_compound = [
        i
        for i, chunk in enumerate(searcher.chunks)
        if fold("kompetensförsörjning") in tokens(chunk.search_text)
        and not parts & {stem(t) for t in tokens(chunk.search_text)}
    ]
    assert len(only_compound) > 10, "the plan has chunks with the compound only"
    lexical = rank_all(searcher, embedder, question).chunk_lexical
    assert all(lexical[i] > 0 for i in only_compound)


def test_query_terms_coverage_of_plan_words(searcher):
    assert searcher.query_terms("Vilka aktörer arbetar med kompetensförsörjning i länet?").coverage == 1.0
    assert searcher.query_terms("Vad gör Almi?").coverage == 1.0
    assert searcher.query_terms("vilka aktorer arbetar med kompetensforsorjning i lanet").coverage == 1.0


def test_query_terms_bring_the_plans_word_for_a_particle_verb(searcher):
    # The plan says "framtagandet av denna handlingsplan"; people ask who helped "ta fram" it.
    terms = searcher.query_terms("Har alla aktörer varit med och ta fram planen?")
    assert stem("framtagandet") in terms.focus
    assert stem("framtagandet") not in searcher.query_terms("Har alla aktörer varit med?").focus


def test_query_terms_coverage_of_unrelated_question(searcher):
    assert searcher.query_terms("Hur lagar man köttbullar?").coverage < 0.5


def test_query_terms_coverage_of_only_stopwords_is_zero(searcher):
    terms = searcher.query_terms("Vad är det?")
    assert terms.coverage == 0.0
    assert terms.terms == []


def test_query_terms_with_translation(searcher):
    glossary = Glossary.load(GLOSSARY_PATH)
    question = "What about language training for newcomers?"
    translation = glossary.translate(question)
    with_translation = searcher.query_terms(question, translation)
    assert term("språkutbildning") in with_translation.terms
    assert with_translation.coverage == 1.0
    assert searcher.query_terms(question).coverage < with_translation.coverage


def test_query_terms_words_are_swedish_and_folded(searcher):
    assert searcher.query_terms("Vad gör Almi i länet?").words == ["almi", "lanet"]
    glossary = Glossary.load(GLOSSARY_PATH)
    question = "What does Almi say about language training?"
    words = searcher.query_terms(question, glossary.translate(question)).words
    assert fold("språkutbildning") in words and "almi" in words
    assert "language" not in words and "training" not in words


# --- sentence-level fusion -----------------------------------------------------------------------------


def test_every_sentence_and_passage_is_scored(searcher, embedder):
    ranking = rank(searcher, embedder, "Vilka branscher är prioriterade?")
    sentences, chunks = len(searcher.stored.sentences), len(searcher.chunks)
    assert ranking.sentence_scores.shape == ranking.sentence_cosines.shape == (sentences,)
    assert ranking.chunk_cosines.shape == ranking.chunk_lexical.shape == (chunks,)
    assert np.isfinite(ranking.sentence_scores).all()


@pytest.mark.parametrize(
    "question", ["Vad gör Almi?", "försörjning av kompetens i länet", "Vilka branscher är prioriterade?"]
)
def test_passages_rank_by_their_best_sentence(searcher, embedder, question):
    ranking = rank_all(searcher, embedder, question)
    for hit in ranking.hits:
        best = max(ranking.sentence_scores[s] for s in searcher.sentences_of(hit.chunk_index))
        assert hit.score == pytest.approx(best)
        assert hit.dense == pytest.approx(float(ranking.chunk_cosines[hit.chunk_index]))
        assert hit.lexical == pytest.approx(float(ranking.chunk_lexical[hit.chunk_index]))
    top = ranking.best_sentences(1)[0]
    assert searcher.stored.sentences[top].chunk == ranking.hits[0].chunk_index
    assert ranking.best_sentences(5) == sorted(
        ranking.best_sentences(5), key=lambda s: -ranking.sentence_scores[s]
    )


def test_without_lexical_terms_the_score_is_the_dense_fusion(searcher, embedder):
    question = "Vad är det?"
    ranking = searcher.rank(embedder.query(question), searcher.query_terms(question), k=len(searcher.chunks))
    assert all(h.lexical == 0 for h in ranking.hits)
    expected = (
        W_SENTENCE * z(ranking.sentence_cosines)
        + W_PASSAGE * z(ranking.chunk_cosines)[sentence_chunks(searcher)]
        + W_HEADING * headings(searcher)
    )
    assert ranking.sentence_scores == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("question", ["Vad gör Almi?", "Vilka branscher är prioriterade?"])
def test_lexical_terms_add_their_relative_bm25(searcher, embedder, question):
    vector = embedder.query(question)
    terms = searcher.query_terms(question)
    with_words = searcher.rank(vector, terms)
    dense_only = searcher.rank(vector, NO_TERMS)
    added = with_words.sentence_scores - dense_only.sentence_scores
    passage_part = W_LEXICAL_PASSAGE * relative(with_words.chunk_lexical)[sentence_chunks(searcher)]
    sentence_part = added - passage_part
    # The sentence's own BM25, relative to the question's best sentence: between 0 and its weight, reached.
    assert sentence_part.min() >= -1e-5
    assert sentence_part.max() == pytest.approx(W_LEXICAL_SENTENCE, abs=1e-5)
    assert with_words.chunk_lexical.max() > 0
    assert dense_only.chunk_lexical.max() == 0


def test_an_english_questions_lexical_match_counts_less(searcher, embedder):
    """English meets the plan's words only through the glossary: its lexical part is scaled down."""
    question = "What does Almi offer companies?"
    vector = embedder.query(question)
    terms = searcher.query_terms(question)
    dense_only = searcher.rank(vector, NO_TERMS).sentence_scores
    swedish = searcher.rank(vector, terms, lang="sv").sentence_scores - dense_only
    english = searcher.rank(vector, terms, lang="en").sentence_scores - dense_only
    assert swedish.max() > 0
    assert english == pytest.approx(LEXICAL_SCALE["en"] * swedish, abs=1e-5)
    assert LEXICAL_SCALE["en"] < LEXICAL_SCALE["sv"] == 1.0


def test_dense_and_lexical_both_matter(searcher, embedder):
    almi = "Aktörer > Almi"
    # Meaning alone finds Almi ...
    assert searcher.rank(embedder.query("Vad gör Almi?"), NO_TERMS).hits[0].chunk.section == almi
    # ... and so do the words alone, under a question that means nothing in particular.
    vague = embedder.query("Vad är det?")
    assert searcher.rank(vague, NO_TERMS).hits[0].chunk.section != almi
    def almi_rank(terms) -> int:
        hits = searcher.rank(vague, terms, k=10_000).hits
        return next(r for r, h in enumerate(hits) if h.chunk.section == almi)

    assert almi_rank(searcher.query_terms("Almi Företagspartner")) < almi_rank(NO_TERMS) // 2
    # Words the question shares with a passage lift it above where meaning alone puts it.
    question = "Vilka branscher är prioriterade?"
    vector, terms = embedder.query(question), searcher.query_terms(question)
    dense_only = {h.chunk_index: r for r, h in enumerate(searcher.rank(vector, NO_TERMS, k=10_000).hits)}
    fused = searcher.rank(vector, terms, k=10_000)
    fused_rank = {h.chunk_index: r for r, h in enumerate(fused.hits)}
    lexical_top = [int(i) for i in np.argsort(-fused.chunk_lexical)[:5]]
    assert sum(fused_rank[i] for i in lexical_top) < sum(dense_only[i] for i in lexical_top)
    assert any(fused_rank[i] < dense_only[i] for i in lexical_top)


def test_scaling_the_question_vector_does_not_change_the_ranking(searcher, embedder):
    # Cosines enter as z-scores within the question: a uniform scale of every cosine changes nothing.
    question = "Vilka branscher är prioriterade?"
    vector, terms = embedder.query(question), searcher.query_terms(question)
    plain, scaled = searcher.rank(vector, terms), searcher.rank(vector * 0.5, terms)
    assert plain.sentence_scores == pytest.approx(scaled.sentence_scores, abs=1e-4)
    assert [h.chunk_index for h in plain.hits] == [h.chunk_index for h in scaled.hits]


# --- the fusion on a tiny synthetic index --------------------------------------------------------------

DIM = 4


def _tiny_searcher(chunk_vectors: np.ndarray, sentences: list[Sentence], sentence_vectors: np.ndarray):
    chunks = [
        Chunk(f"c-{i}", f"Avsnitt > Del {i}", 1, " ".join(s.text for s in sentences if s.chunk == i))
        for i in range(len(chunk_vectors))
    ]
    index = faiss.IndexFlatIP(DIM)
    index.add(chunk_vectors.astype(np.float32))
    manifest = Manifest(5, "test", "test", DIM, "plan.md", "", len(chunks), len(sentences), "", 0.0)
    return HybridSearcher(
        StoredIndex(manifest, chunks, sentences, index, sentence_vectors.astype(np.float32))
    )


@pytest.fixture(scope="module")
def tiny():
    """Three passages; every vector has the same first component, so moving the question along it shifts
    every cosine by one constant."""
    sentences = [
        Sentence(0, "Del 0", "heading"),
        Sentence(0, "Almi lånar ut pengar till företag."),
        Sentence(0, "Bolaget finns i hela landet."),
        Sentence(1, "Validering gör kompetens synlig."),
        Sentence(1, "Almi nämns här också."),
        Sentence(2, "Språkutbildning för nyanlända."),
        Sentence(2, "Vuxenutbildning i kommunerna."),
    ]
    sentence_vectors = np.array(
        [
            [0.5, 0.9, 0.0, 0.0],
            [0.5, 0.8, 0.1, 0.0],
            [0.5, 0.1, 0.2, 0.3],
            [0.5, 0.0, 0.9, 0.1],
            [0.5, 0.2, 0.6, 0.0],
            [0.5, 0.0, 0.1, 0.9],
            [0.5, 0.1, 0.0, 0.7],
        ]
    )
    chunk_vectors = np.array([[0.5, 0.6, 0.1, 0.1], [0.5, 0.1, 0.8, 0.1], [0.5, 0.0, 0.1, 0.8]])
    return _tiny_searcher(chunk_vectors, sentences, sentence_vectors)


def test_a_constant_shift_of_every_cosine_does_not_change_the_ranking(tiny):
    vector = np.array([0.0, 0.3, 0.9, 0.1], dtype=np.float32)
    for terms in (NO_TERMS, tiny.query_terms("Almi")):
        plain = tiny.rank(vector, terms)
        shifted = tiny.rank(vector + np.array([0.8, 0, 0, 0], dtype=np.float32), terms)
        assert shifted.sentence_cosines == pytest.approx(plain.sentence_cosines + 0.4, abs=1e-5)
        assert shifted.sentence_scores == pytest.approx(plain.sentence_scores, abs=1e-4)
        assert [h.chunk_index for h in shifted.hits] == [h.chunk_index for h in plain.hits]


def test_a_passage_ranks_by_its_best_sentence_not_its_average(tiny):
    # Passage 0 has one sentence close to the question and one far from it (and its heading); passage 1 is
    # fairly close throughout, and closer as a whole. The best sentence decides.
    vector = np.array([0.0, 0.6, 0.5, 0.0], dtype=np.float32)
    ranking = tiny.rank(vector, NO_TERMS)
    mean = [ranking.sentence_scores[tiny.sentences_of(i)].mean() for i in range(3)]
    assert mean[1] > mean[0] and ranking.chunk_cosines[1] > ranking.chunk_cosines[0]
    assert [h.chunk_index for h in ranking.hits] == [0, 1, 2]
    assert ranking.best_sentences(1) == [1]


def test_a_heading_counts_less_than_a_sentence_under_it(tiny):
    vector = np.array([0.0, 1.0, 0.0, 0.0], dtype=np.float32)
    ranking = tiny.rank(vector, NO_TERMS)
    assert ranking.sentence_cosines[0] > ranking.sentence_cosines[1]  # the heading is closer in meaning
    assert ranking.best_sentences(1) == [1]
    gap = ranking.sentence_scores[1] - ranking.sentence_scores[0]
    cosine_gap = W_SENTENCE * (z(ranking.sentence_cosines)[1] - z(ranking.sentence_cosines)[0])
    assert gap == pytest.approx(cosine_gap - W_HEADING, abs=1e-5)


def test_words_lift_the_sentence_that_has_them(tiny):
    vector = np.array([0.0, 0.0, 1.0, 0.0], dtype=np.float32)  # closest to passage 1
    assert tiny.rank(vector, NO_TERMS).best_sentences(1) == [3]
    ranking = tiny.rank(vector, tiny.query_terms("Almi"))
    assert ranking.best_sentences(1) == [4]  # passage 1's sentence that names Almi
    assert ranking.hits[0].chunk_index == 1


# --- sentences and continuations -----------------------------------------------------------------------


def test_sentences_of_and_continuations(searcher):
    stored = searcher.stored
    for i in range(len(searcher.chunks)):
        assert all(stored.sentences[s].chunk == i for s in searcher.sentences_of(i))
        assert searcher.sentences_of(i), f"chunk {i} has no sentences"
    assert not searcher.is_continuation(0)
    continued = [i for i in range(len(searcher.chunks)) if searcher.is_continuation(i)]
    assert all(searcher.chunks[i].section == searcher.chunks[i - 1].section for i in continued)
    assert searcher.sentences_of(len(searcher.chunks) + 5) == []


# --- glossary ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def glossary():
    return Glossary.load(GLOSSARY_PATH)


def test_glossary_translates_phrase(glossary):
    translation = glossary.translate("What does the plan say about language training for newcomers?")
    words = translation.swedish.split()
    assert "språkutbildning" in words
    assert "nyanlända" in words
    assert {"language", "training", "newcomers"} <= translation.matched


def test_glossary_prefers_the_longest_phrase(glossary):
    translation = glossary.translate("language training")
    assert translation.swedish == "språkutbildning"


def test_glossary_plural_falls_back_to_singular(glossary):
    assert glossary.translate("validations").swedish == "validering"
    assert "validations" in glossary.translate("validations").matched


def test_glossary_plural_fallback_on_small_glossary():
    glossary = Glossary({("employer",): "arbetsgivare", ("skills", "supply"): "kompetensförsörjning"})
    translation = glossary.translate("Employers and skills supply")
    assert translation == Translation(
        "arbetsgivare kompetensförsörjning", frozenset({"employers", "skills", "supply"})
    )
    # Short words are not treated as plurals: "bus" is not "bu".
    assert Glossary({("bu",): "x"}).translate("bus").swedish == ""


def test_glossary_unknown_words_and_missing_file(tmp_path):
    assert Glossary.load(tmp_path / "finns-inte.tsv").translate("skills") == Translation("", frozenset())
    assert Glossary.load(GLOSSARY_PATH).translate("meatballs recipe") == Translation("", frozenset())


def test_glossary_load_skips_comments_and_malformed_lines(tmp_path):
    path = tmp_path / "g.tsv"
    path.write_text("# comment\tnot an entry\n\nno tab here\nAction Plan\thandlingsplan \n", encoding="utf-8")
    glossary = Glossary.load(path)
    assert glossary.translate("the action plan").swedish == "handlingsplan"
    assert glossary.translate("comment").swedish == ""


def test_a_named_chapter_prefers_what_it_says_not_its_heading(searcher, embedder):
    vector = embedder.query("Vem har skrivit förordet?")
    terms = searcher.query_terms("Vem har skrivit förordet?")
    plain = searcher.rank(vector, terms)
    named = searcher.rank(vector, terms, chapter="Förord")
    sentences = searcher.stored.sentences
    inside = [i for i, s in enumerate(sentences) if searcher.chunks[s.chunk].section == "Förord"]
    for i in inside:
        boost = named.sentence_scores[i] - plain.sentence_scores[i]
        assert boost == pytest.approx(0.0 if sentences[i].kind == "heading" else W_CHAPTER, abs=1e-5)
