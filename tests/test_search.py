"""index.search and index.glossary on the real plan: hybrid retrieval, compounds, coverage, RRF fusion."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.glossary import Glossary, Translation
from index.search import RRF_K
from index.text import stem, tokens

GLOSSARY_PATH = Path(__file__).resolve().parent.parent / "knowledge" / "glossary_en_sv.tsv"


@pytest.fixture(scope="module")
def searcher(real_qa):
    return real_qa.searcher


@pytest.fixture(scope="module")
def embedder(real_qa):
    return real_qa.embedder


def search_all(searcher, embedder, question):
    """Every chunk, as search ranks it."""
    return searcher.search(question, embedder.query(question), k=len(searcher.chunks))


def ranks(values: dict[int, float]) -> dict[int, int]:
    """0-based ranks, best first, ties in chunk order (as the stable argsort in search)."""
    order = sorted(values, key=lambda i: (-values[i], i))
    return {i: r for r, i in enumerate(order)}


# --- retrieval -----------------------------------------------------------------------------------------


def test_almi_question_ranks_almi_first(searcher, embedder):
    hits = searcher.search("Vad gör Almi?", embedder.query("Vad gör Almi?"), k=5)
    assert hits[0].chunk.section == "Aktörer > Almi"
    assert hits[0].lexical > 0 and hits[0].dense > 0


def test_search_returns_k_distinct_hits_sorted_by_fused_score(searcher, embedder):
    question = "Vilka insatsområden finns för validering?"
    for k in (1, 5, 10):
        hits = searcher.search(question, embedder.query(question), k=k)
        assert len(hits) == k
        assert len({h.chunk_index for h in hits}) == k
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        assert all(searcher.chunks[h.chunk_index] is h.chunk for h in hits)


def test_search_with_k_beyond_index_returns_every_chunk_once(searcher, embedder):
    hits = searcher.search("Vad gör Almi?", embedder.query("Vad gör Almi?"), k=10_000)
    assert sorted(h.chunk_index for h in hits) == list(range(len(searcher.chunks)))


def test_compound_paraphrase_gets_lexical_hits_on_the_compound(searcher, embedder):
    question = "försörjning av kompetens i länet"
    terms = searcher.query_terms(question)
    assert stem("försörjning") in terms.terms and stem("kompetens") in terms.terms

    hits = search_all(searcher, embedder, question)
    top_lexical = sorted(hits, key=lambda h: -h.lexical)[:5]
    assert all("kompetensförsörjning" in h.chunk.text.lower() for h in top_lexical)


def test_compound_is_found_only_through_its_parts(searcher, embedder):
    # Chunks that say "kompetensförsörjning" but never "kompetens" or "försörjning" on their own still
    # match "försörjning av kompetens" lexically: the compound is split into its parts.
    question = "försörjning av kompetens"
    parts = {stem("försörjning"), stem("kompetens")}
    only_compound = [
        i
        for i, chunk in enumerate(searcher.chunks)
        if "kompetensförsörjning" in tokens(chunk.search_text)
        and not parts & {stem(t) for t in tokens(chunk.search_text)}
    ]
    assert len(only_compound) > 10
    assert only_compound, "the plan has chunks with the compound only"
    lexical = {h.chunk_index: h.lexical for h in search_all(searcher, embedder, question)}
    assert all(lexical[i] > 0 for i in only_compound)


def test_query_terms_coverage_of_plan_words(searcher):
    assert searcher.query_terms("Vilka aktörer arbetar med kompetensförsörjning i länet?").coverage == 1.0
    assert searcher.query_terms("Vad gör Almi?").coverage == 1.0


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
    assert stem("språkutbildning") in with_translation.terms
    assert with_translation.coverage == 1.0
    assert searcher.query_terms(question).coverage < with_translation.coverage


def test_query_terms_words_are_swedish(searcher):
    assert searcher.query_terms("Vad gör Almi i länet?").words == ["almi", "länet"]
    glossary = Glossary.load(GLOSSARY_PATH)
    question = "What does Almi say about language training?"
    words = searcher.query_terms(question, glossary.translate(question)).words
    assert "språkutbildning" in words and "almi" in words
    assert "language" not in words and "training" not in words


def test_search_without_lexical_terms_uses_dense_only(searcher, embedder):
    question = "Vad är det?"
    hits = search_all(searcher, embedder, question)
    assert all(h.lexical == 0 for h in hits)
    dense_order = sorted(hits, key=lambda h: (-h.dense, h.chunk_index))
    assert [h.chunk_index for h in hits] == [h.chunk_index for h in dense_order]


# --- reciprocal rank fusion ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question", ["Vad gör Almi?", "försörjning av kompetens i länet", "Vilka branscher är prioriterade?"]
)
def test_fused_score_is_rrf_of_dense_and_lexical_ranks(searcher, embedder, question):
    hits = search_all(searcher, embedder, question)
    dense_rank = ranks({h.chunk_index: h.dense for h in hits})
    lexical_rank = ranks({h.chunk_index: h.lexical for h in hits})
    for hit in hits:
        expected = 1 / (RRF_K + dense_rank[hit.chunk_index] + 1)
        if hit.lexical > 0:
            expected += 1 / (RRF_K + lexical_rank[hit.chunk_index] + 1)
        assert hit.score == pytest.approx(expected, abs=1e-12)


def test_rrf_ranks_agreement_above_a_single_retriever(searcher, embedder):
    question = "Vilka branscher är prioriterade?"
    hits = search_all(searcher, embedder, question)
    dense_rank = ranks({h.chunk_index: h.dense for h in hits})
    lexical_rank = ranks({h.chunk_index: h.lexical for h in hits if h.lexical > 0})
    score = {h.chunk_index: h.score for h in hits}
    both = [i for i in score if dense_rank[i] < 5 and lexical_rank.get(i, 10**6) < 5]
    one = [i for i in score if (dense_rank[i] < 5) != (lexical_rank.get(i, 10**6) < 5)]
    one = [i for i in one if dense_rank[i] >= 20 or lexical_rank.get(i, 10**6) >= 20]
    assert both and one
    assert min(score[i] for i in both) > max(score[i] for i in one)


def test_rrf_is_monotone_in_both_ranks(searcher, embedder):
    # A chunk at least as high as another in both rankings (and higher in one) has the higher fused score.
    hits = search_all(searcher, embedder, "Vad gör Almi?")
    missing = len(hits) + 1
    dense_rank = ranks({h.chunk_index: h.dense for h in hits})
    lexical_rank = ranks({h.chunk_index: h.lexical for h in hits if h.lexical > 0})
    score = {h.chunk_index: h.score for h in hits}
    top = [h.chunk_index for h in hits[:30]]
    for a in top:
        for b in top:
            da, db = dense_rank[a], dense_rank[b]
            la, lb = lexical_rank.get(a, missing), lexical_rank.get(b, missing)
            if da <= db and la <= lb and (da, la) != (db, lb):
                assert score[a] > score[b]


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
