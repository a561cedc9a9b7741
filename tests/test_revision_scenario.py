"""A revised plan, end to end, as a content owner publishes it (README, *För innehållsansvariga*): the
revision arrives as a two-column PDF; it is imported, diffed against the live plan, checked, and swapped in
while a server answers. Afterwards the bot answers about the new actor, and no longer gives the removed
action area.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, Start
from connector import FakeConnector
from documents import write_plan_pdf
from test_server_e2e import emulator_activity, real_loader

from handlers.quality.release import check_release
from handlers.wording import texts
from index.config import Config
from index.importer import import_plan
from index.knowledge import load_document
from index.revision import compare, report

pytestmark = pytest.mark.asyncio(loop_scope="session")

NEW_ACTOR = "Stiftelsen Lärlingslyftet"
NEW_ACTOR_TEXT = (
    "Stiftelsen Lärlingslyftet ordnar lärlingsplatser hos länets hantverksföretag för unga vuxna som saknar "
    "gymnasieexamen."
)
REMOVED_AREA = "Normbrytande arbetssätt som ger ungdomar och vuxna"
AREAS_QUESTION = "Vilka insatsområden ska utbildningssystemets aktörer driva?"


def revised(plan: str) -> str:
    """The revision: an actor added, a date changed, an action area removed (from every list naming it)."""
    actor = f"### {NEW_ACTOR}\n\n{NEW_ACTOR_TEXT}\n\n### Stiftelsen Sky\n"
    plan = plan.replace("### Stiftelsen Sky\n", actor, 1)
    plan = plan.replace("Vart fjärde år ses handlingsplanen över", "Vart femte år ses handlingsplanen över")
    return re.sub(rf"^- {REMOVED_AREA}.*\n(?:  .*\n)*", "", plan, flags=re.MULTILINE)


async def ask(client, connector: FakeConnector, question: str, n: int) -> str:
    activity = emulator_activity(connector, question, id=f"r{n}", conversation={"id": f"rev-{n}"})
    response = await client.post("/api/messages", json=activity)
    assert response.status == 201
    return "\n".join(a.get("text", "") for a in connector.received if a.get("replyToId") == f"r{n}")


async def test_a_revised_plan_is_imported_diffed_checked_and_swapped_in_while_serving(
    real_qa: object, real_config: Config, start: Start, connector: FakeConnector, tmp_path: Path
) -> None:
    # The live installation: the curated plan and the session's index, copied so nothing shared changes.
    live_plan = tmp_path / "knowledge" / "handlingsplan.md"
    live_plan.parent.mkdir()
    shutil.copy(real_config.knowledge_path, live_plan)
    index_dir = tmp_path / "var" / "index"
    index_dir.parent.mkdir()
    shutil.copytree(real_config.index_dir.resolve(), index_dir.parent / "first-build")
    index_dir.symlink_to("first-build")
    config = replace(
        real_config,
        knowledge_path=live_plan,
        index_dir=index_dir,
        index_poll_seconds=0.2,
        rate_limit_client="100000/minute",
        rate_limit_conversation="100000/minute",
    )

    # 1. The revision arrives as a PDF and is imported.
    pdf = write_plan_pdf(revised(live_plan.read_text(encoding="utf-8")), tmp_path / "reviderad-plan.pdf")
    new_plan = tmp_path / "handlingsplan-ny.md"
    new_plan.write_text(import_plan(pdf).markdown, encoding="utf-8")

    # 2. The diff names what changed.
    text = "\n".join(report(compare(load_document(live_plan), load_document(new_plan)), "nu", "ny"))
    assert NEW_ACTOR in text
    assert REMOVED_AREA in text
    assert "femte" in text

    # 3. The release check passes (a few eval questions keep it quick), and the live index is untouched.
    checked = check_release(new_plan, config, [ROOT / "tests" / "data" / "heldout.jsonl"], limit=5)
    assert checked.ok, "\n".join(checked.lines())
    assert index_dir.resolve() == (index_dir.parent / "first-build").resolve()

    # 4. Swapped in while a server answers: the plan replaced, the index rebuilt by another process.
    client = await start(real_loader(config), config=config)
    assert REMOVED_AREA in await ask(client, connector, AREAS_QUESTION, 0)
    shutil.copy(new_plan, live_plan)
    build = subprocess.Popen(
        [
            sys.executable,
            "bot.py",
            "index",
            "build",
            "--knowledge",
            str(live_plan),
            "--index-dir",
            str(index_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    answered, n = [], 1
    deadline = time.monotonic() + 240
    while build.poll() is None or NEW_ACTOR_TEXT[:40] not in answered[-1]:
        assert time.monotonic() < deadline, "the server did not switch to the revised plan"
        answered.append(await ask(client, connector, f"Vad gör {NEW_ACTOR}?", n))
        n += 1
        await asyncio.sleep(0.25)
    assert build.returncode == 0
    failed = {"", texts.SV.error_apology, texts.SV.not_ready}
    assert not [a for a in answered if a in failed], "every question was answered while the index was rebuilt"
    assert REMOVED_AREA not in await ask(client, connector, AREAS_QUESTION, n)
