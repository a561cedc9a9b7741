"""`bot.py bench --scale 2,4,16`: how build, load and answering grow with the plan's length.

A plan k times as long is the plan repeated k times, each copy's headings renamed ("… (del 2)"), so that every
section is a section of its own. For the plan itself and each k, in fresh index folders: `bot.py index build`
(embedding, then the first load: the corpus's memory and the follow-up check), a warm load (`bot.py ask`, the
start of a later process), and the time per question (`bot.py bench` without cold start). Each figure is
also given as a multiple of the plan's own (issue 19: 4× the text within 4.5× the build, 16× within 18×).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from handlers.quality.benchmark import SCRIPT
from index.config import ROOT, Config

HEADING = re.compile(r"^(#{2,6}) (.*)$")
P50 = re.compile(r"svar \(sök \+ svar, inkl\. embedding\): p50 ([0-9.]+) ms")


@dataclass(frozen=True)
class Scale:
    times: int
    build_s: float
    warm_load_s: float
    answer_p50_ms: float


def repeated(plan: str, times: int) -> str:
    """The plan `times` times over, the copies' headings renamed; the title once."""
    lines = plan.splitlines()
    out = list(lines)
    for copy in range(2, times + 1):
        for line in lines:
            if line.startswith("# "):
                continue
            match = HEADING.match(line)
            out.append(f"{match.group(1)} {match.group(2)} (del {copy})" if match else line)
    return "\n".join(out) + "\n"


def measure(config: Config, times: int, folder: Path) -> Scale:
    plan = folder / f"plan{times}.md"
    plan.write_text(repeated(config.knowledge_path.read_text(encoding="utf-8"), times), encoding="utf-8")
    where = ["--knowledge", str(plan), "--index-dir", str(folder / f"index{times}")]
    build_s = _timed(["index", "build", *where])
    warm_load_s = _timed(["ask", *where, "Vad gör Almi?"])
    bench = _run(["bench", *where, "--rounds", "1", "--no-cold-start"])
    found = P50.search(bench)
    return Scale(times, build_s, warm_load_s, float(found.group(1)) if found else float("nan"))


def run(config: Config, factors: list[int]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="kompetensbot-scale-") as folder:
        scales = [measure(config, k, Path(folder)) for k in sorted({1, *factors})]
    base = scales[0]
    lines = ["gånger build_s (×) varm_start_s (×) svar_p50_ms (×)"]
    for s in scales:
        lines.append(
            f"{s.times:>6} {s.build_s:7.1f} ({s.build_s / base.build_s:4.2f}) "
            f"{s.warm_load_s:12.2f} ({s.warm_load_s / base.warm_load_s:4.2f}) "
            f"{s.answer_p50_ms:11.1f} ({s.answer_p50_ms / base.answer_p50_ms:4.2f})"
        )
    return lines


def _timed(args: list[str]) -> float:
    started = time.perf_counter()
    _run(args)
    return time.perf_counter() - started


def _run(args: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return done.stdout
