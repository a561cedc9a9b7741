"""Shared fixtures: the real plan, indexed once per test session with the bundled e5 model."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from index.config import Config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def real_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The default configuration, with the index in a session folder so tests never touch var/index."""
    index_dir = tmp_path_factory.mktemp("index") / "index"
    return replace(Config(), index_dir=index_dir)


@pytest.fixture(scope="session")
def real_qa(real_config: Config):
    """The real engine on the real plan: e5 embeddings, FAISS + BM25, built once (about 40 s)."""
    from handlers.qa import QA

    logging.getLogger("faiss").setLevel(logging.WARNING)
    return QA.load(real_config, progress=lambda message: None)
