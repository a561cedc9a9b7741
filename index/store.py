"""Build, persist and load the index: chunks, their vectors (FAISS) and sentence vectors, with a manifest.

Layout: <index_dir> is a symlink to <index_dir>.builds/<build id>/, holding manifest.json, chunks.json,
chunks.faiss, sentences.npy, lexicon.txt and lexicon_en.txt. A rebuild writes a new build folder, then swaps
the symlink atomically, so a reader never sees half an index. The BM25 side is rebuilt in memory at load
(milliseconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from index.chunk import Chunk, chunk_document
from index.embed import Embedder
from index.knowledge import load_document
from index.normalise import ENGLISH_LEXICON_FILE, LEXICON_FILE, build_lexicon, load_english, load_lexicon
from index.text import split_sentences

log = logging.getLogger(__name__)

# 4: lexicon.txt (known Swedish words, for typo correction); 5: the lexicon from Zipf 2;
# 6: sha256 of every file in the manifest, verified on load; 7: lexicon_en.txt (known English words)
FORMAT_VERSION = 7
BATCH = 16
# The files a build writes before its manifest; the manifest holds their checksums.
INDEX_FILES = ("chunks.json", "chunks.faiss", "sentences.npy", LEXICON_FILE, ENGLISH_LEXICON_FILE)

Progress = Callable[[str], None]


class IndexUnavailable(RuntimeError):
    """The index is missing, stale or unusable; the message says what to do."""


class IndexCorrupt(IndexUnavailable):
    """A file of the index is unreadable or does not match the checksum its manifest recorded."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    embedder_spec: str
    embedder_id: str
    dim: int
    knowledge_file: str
    knowledge_sha256: str
    chunk_count: int
    sentence_count: int
    built_at: str
    build_seconds: float
    files: dict[str, str] = field(default_factory=dict)  # file name -> sha256, for INDEX_FILES


@dataclass(frozen=True)
class Sentence:
    chunk: int  # index into the chunk list
    text: str
    kind: str = "sentence"  # "sentence" of a paragraph, list "item", or the section's "heading"


@dataclass
class StoredIndex:
    manifest: Manifest
    chunks: list[Chunk]
    sentences: list[Sentence]
    chunk_vectors: faiss.Index
    sentence_vectors: np.ndarray
    lexicon: dict[str, str] = field(default_factory=dict)  # known Swedish words: folded -> spelling
    english: list[str] = field(default_factory=list)  # known English words, most frequent first


def knowledge_checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def chunk_sentences(chunks: list[Chunk]) -> list[Sentence]:
    """The answerable units of each chunk: its section's heading (first chunk only), its sentences, and
    each list item on its own."""
    out = []
    for i, chunk in enumerate(chunks):
        if i == 0 or chunks[i - 1].section != chunk.section:
            # Headings often state the point ("Offentlig sektor har de största kompetensbehoven").
            out.append(Sentence(i, chunk.heading, "heading"))
        for line in chunk.text.split("\n"):
            item = line.startswith("- ")
            units = [line[2:]] if item else split_sentences(line)
            out.extend(Sentence(i, unit, "item" if item else "sentence") for unit in units if unit.strip())
    return out


IndexState = Literal["current", "missing", "stale", "corrupt"]


@dataclass(frozen=True)
class IndexCheck:
    """What `check_index` found: the index's state and, unless it is current, why."""

    state: IndexState
    reason: str | None = None


def check_index(index_dir: Path, knowledge_path: Path, embedder_spec: str) -> IndexCheck:
    """Whether the index at index_dir is current, missing, stale (built from other inputs) or corrupt."""
    manifest_path = index_dir / "manifest.json"
    if not manifest_path.exists():
        return IndexCheck("missing", f"inget index i {index_dir}")
    try:
        manifest = Manifest(**json.loads(manifest_path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        return IndexCheck("corrupt", f"indexets manifest går inte att läsa ({error})")
    if manifest.format_version != FORMAT_VERSION:
        return IndexCheck("stale", f"indexformat {manifest.format_version}, koden använder {FORMAT_VERSION}")
    if manifest.embedder_spec != embedder_spec:
        return IndexCheck(
            "stale",
            f"indexet byggdes med embeddern {manifest.embedder_spec!r}, konfigurerad är {embedder_spec!r}",
        )
    damage = corruption(index_dir.resolve(), manifest)
    if damage:
        return IndexCheck("corrupt", damage)
    if manifest.knowledge_sha256 != knowledge_checksum(knowledge_path):
        return IndexCheck("stale", f"kunskapsfilen {knowledge_path.name} har ändrats sedan indexet byggdes")
    return IndexCheck("current")


def stale_reason(index_dir: Path, knowledge_path: Path, embedder_spec: str) -> str | None:
    """Why the index at index_dir cannot be used as it is (missing, stale, corrupt), or None when current."""
    return check_index(index_dir, knowledge_path, embedder_spec).reason


def file_checksums(folder: Path) -> dict[str, str]:
    """sha256 of each index file in folder; raises OSError if one cannot be read."""
    return {name: _sha256(folder / name) for name in INDEX_FILES}


def _sha256(path: Path) -> str:
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def corruption(folder: Path, manifest: Manifest) -> str | None:
    """What is wrong with the files of the build in folder, or None when each matches its checksum."""
    for name in INDEX_FILES:
        expected = manifest.files.get(name)
        if not expected:
            return f"manifestet saknar kontrollsumma för {name}"
        try:
            actual = _sha256(folder / name)
        except OSError as error:
            return f"{name} går inte att läsa ({error.strerror or error})"
        if actual != expected:
            return f"{name} stämmer inte med sin kontrollsumma"
    return None


def build_index(
    knowledge_path: Path, index_dir: Path, embedder_spec: str, embedder: Embedder, progress: Progress = print
) -> Manifest:
    started = time.perf_counter()
    chunks = chunk_document(load_document(knowledge_path))
    if not chunks:
        raise IndexUnavailable(f"Kunskapsfilen {knowledge_path} innehåller ingen text att indexera.")
    sentences = chunk_sentences(chunks)
    progress(f"Indexerar {len(chunks)} textavsnitt och {len(sentences)} meningar med {embedder.id}")
    chunk_matrix = _embed(embedder, [c.search_text for c in chunks], "avsnitt", progress)
    sentence_matrix = _embed(embedder, [s.text for s in sentences], "meningar", progress)
    vectors = faiss.IndexFlatIP(embedder.dim)
    vectors.add(chunk_matrix)
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        embedder_spec=embedder_spec,
        embedder_id=embedder.id,
        dim=embedder.dim,
        knowledge_file=knowledge_path.name,
        knowledge_sha256=knowledge_checksum(knowledge_path),
        chunk_count=len(chunks),
        sentence_count=len(sentences),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        build_seconds=round(time.perf_counter() - started, 2),
    )
    manifest = _write_atomically(index_dir, manifest, chunks, sentences, vectors, sentence_matrix)
    progress(f"Index klart på {manifest.build_seconds:.1f} s: {index_dir}")
    return manifest


def _embed(embedder: Embedder, texts: list[str], what: str, progress: Progress) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), BATCH):
        parts.append(embedder.passages(texts[start : start + BATCH]))
        done = min(start + BATCH, len(texts))
        progress(f"  {what}: {done}/{len(texts)}")
    matrix = np.vstack(parts).astype(np.float32)
    faiss.normalize_L2(matrix)  # backends normalise already; this keeps inner product = cosine regardless
    return matrix


def _write_atomically(
    index_dir: Path,
    manifest: Manifest,
    chunks: list[Chunk],
    sentences: list[Sentence],
    vectors: faiss.Index,
    sentence_matrix: np.ndarray,
) -> Manifest:
    """Write a new build folder, point index_dir at it, remove older builds; the manifest as written."""
    builds = index_dir.parent / f"{index_dir.name}.builds"
    build = builds / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    build.mkdir(parents=True)
    payload = {"chunks": [asdict(c) for c in chunks], "sentences": [asdict(s) for s in sentences]}
    (build / "chunks.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    faiss.write_index(vectors, str(build / "chunks.faiss"))
    np.save(build / "sentences.npy", sentence_matrix)
    build_lexicon(build)
    manifest = replace(manifest, files=file_checksums(build))
    # The manifest is written last: a build folder without one is incomplete and never used.
    (build / "manifest.json").write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    if index_dir.exists() and not index_dir.is_symlink():
        shutil.rmtree(index_dir)  # an index folder from before symlinked builds
    link = index_dir.parent / f".{index_dir.name}.{os.getpid()}.link"
    link.unlink(missing_ok=True)
    link.symlink_to(build.relative_to(index_dir.parent))
    os.replace(link, index_dir)  # atomic on POSIX
    for old in builds.iterdir():
        if old != build:
            shutil.rmtree(old, ignore_errors=True)
    return manifest


def load_index(index_dir: Path, embedder: Embedder) -> StoredIndex:
    folder = index_dir.resolve()  # one build folder throughout, even if a rebuild swaps the link meanwhile
    try:
        manifest = Manifest(**json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as error:
        raise IndexUnavailable(
            f"Indexet i {index_dir} går inte att läsa ({error}). Bygg om det: python bot.py index build"
        ) from error
    damage = corruption(folder, manifest)
    if damage:
        raise IndexCorrupt(
            f"Indexet i {index_dir} är skadat: {damage}. Bygg om det: python bot.py index build"
        )
    try:
        payload = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        chunk_vectors = faiss.read_index(str(folder / "chunks.faiss"))
        sentence_vectors = np.load(folder / "sentences.npy")
        chunks = [Chunk(**c) for c in payload["chunks"]]
        sentences = [Sentence(**s) for s in payload["sentences"]]
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as error:
        raise IndexUnavailable(
            f"Indexet i {index_dir} går inte att läsa ({error}). Bygg om det: python bot.py index build"
        ) from error
    if manifest.embedder_id != embedder.id or manifest.dim != embedder.dim:
        raise IndexUnavailable(
            f"Indexet byggdes med {manifest.embedder_id} ({manifest.dim} dim) men embeddern är "
            f"{embedder.id} ({embedder.dim} dim). Bygg om: python bot.py index build"
        )
    if len(chunks) != chunk_vectors.ntotal or len(sentences) != len(sentence_vectors):
        raise IndexUnavailable(
            f"Indexet i {index_dir} är inkonsekvent. Bygg om det: python bot.py index build"
        )
    lexicons = load_lexicon(folder), load_english(folder)
    return StoredIndex(manifest, chunks, sentences, chunk_vectors, sentence_vectors, *lexicons)


def ensure_index(
    knowledge_path: Path, index_dir: Path, embedder_spec: str, embedder: Embedder, progress: Progress = print
) -> StoredIndex:
    """Load the index, building it first when it is missing, stale or corrupt."""
    if not knowledge_path.exists():
        raise IndexUnavailable(
            f"Kunskapsfilen saknas: {knowledge_path}. Ange rätt sökväg i KOMPETENSBOT_KNOWLEDGE."
        )
    check = check_index(index_dir, knowledge_path, embedder_spec)
    if check.state == "corrupt":
        # The one line an operator needs: what was wrong, and that it heals itself.
        log.warning("Indexet i %s är skadat (%s); bygger om det.", index_dir, check.reason)
    elif check.state != "current":
        progress(f"Bygger index ({check.reason}).")
    if check.state != "current":
        build_index(knowledge_path, index_dir, embedder_spec, embedder, progress)
    return load_index(index_dir, embedder)
