"""The command line: `ask` and its JSON contract, `index status`, errors that say what to do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_bot(*args: str, index_dir: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KOMPETENSBOT_INDEX_DIR": str(index_dir)}
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def index_dir(real_qa, real_config) -> Path:
    return real_config.index_dir  # built by the session fixture


def test_ask_json_prints_one_object(index_dir: Path) -> None:
    result = run_bot("ask", "--json", "Vad gör Almi?", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["question"] == "Vad gör Almi?"
    assert data["answered"] is True
    assert data["sources"][0]["section"] == "Aktörer > Almi"
    assert len(data["retrieved"]) >= 5
    assert isinstance(data["suggestions"], list)


def test_ask_batch_answers_in_order(index_dir: Path, tmp_path: Path) -> None:
    questions = ["Vad gör Almi?", "Hur lagar man köttbullar?", "", "Vad gör REKO?"]
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(questions) + "\n", encoding="utf-8")
    result = run_bot("ask", "--json", "--batch", str(batch), index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [r["question"] for r in rows] == ["Vad gör Almi?", "Hur lagar man köttbullar?", "Vad gör REKO?"]
    assert [r["answered"] for r in rows] == [True, False, True]


def test_ask_plain_prints_the_answer_text(index_dir: Path) -> None:
    result = run_bot("ask", "Vad", "gör", "Almi?", index_dir=index_dir)
    assert result.returncode == 0
    assert "Aktörer › Almi, s. " in result.stdout


def test_ask_without_a_question_says_how(index_dir: Path) -> None:
    result = run_bot("ask", index_dir=index_dir)
    assert result.returncode == 2
    assert "python bot.py ask" in result.stderr


def test_bench_without_a_file_measures_the_bundled_questions(index_dir: Path) -> None:
    """A fresh clone has no ../shared/eval/: the bench uses questions that ship with the project."""
    result = run_bot("bench", "--rounds", "1", "--no-cold-start", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert "frågor: 120 ur " in result.stdout and "kvot svar/embedding (p50): " in result.stdout
    assert "Traceback" not in result.stderr


def test_bench_with_a_missing_file_says_what_to_give(index_dir: Path) -> None:
    result = run_bot("bench", "finns-inte.jsonl", index_dir=index_dir)
    assert result.returncode == 2
    assert "finns-inte.jsonl finns inte" in result.stderr and "Traceback" not in result.stderr


def test_index_status(index_dir: Path, tmp_path: Path) -> None:
    assert run_bot("index", "status", index_dir=index_dir).returncode == 0
    missing = run_bot("index", "status", index_dir=tmp_path / "none")
    assert missing.returncode == 1
    assert "behöver byggas" in missing.stdout


def test_missing_knowledge_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_bot(
        "ask", "--knowledge", str(tmp_path / "nej.md"), "Vad gör Almi?", index_dir=tmp_path / "i"
    )
    assert result.returncode == 2
    assert "Kunskapsfilen saknas" in result.stderr


def test_chat_answers_and_quits(index_dir: Path) -> None:
    result = run_bot("chat", index_dir=index_dir, stdin="Vad gör Almi?\nhjälp\navsluta\n")
    assert result.returncode == 0
    assert "Källor: Aktörer › Almi, s. " in result.stdout
    assert "Skriv din fråga" in result.stdout  # the help text


def test_chat_answers_follow_ups_in_context(index_dir: Path) -> None:
    turns = "\n".join(
        [
            "Vad är Fredagsakademin?",
            "Hur ofta anordnas den?",
            "Vad gör Handelskammaren?",
            "Och REKO då?",
            "avsluta",
        ]
    )
    result = run_bot("chat", index_dir=index_dir, stdin=turns)
    assert result.returncode == 0, result.stderr
    assert "En gång per år" in result.stdout
    assert "vuxenutbildning" in result.stdout
