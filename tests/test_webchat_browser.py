"""The web chat in a real browser: Debian's Chromium driven by Playwright, against the real app and engine.

The app (create_app with the real engine) runs on a free loopback port with the local Direct Line, so the
page, Web Chat, Direct Line and the bot all run on this machine. Also renders a Teams answer card with the
`adaptivecards` renderer from deploy/webchat/node_modules, and a partial answer's card. Writes the
screenshots webchat-answer.png, teams-card.png and teams-card-partial.png as test artefacts to
var/test-artifacts/ (git-ignored); with KOMPETENSBOT_UPDATE_SCREENSHOTS=1 also to docs/screenshots/, the
copies the docs show.

Needs /usr/bin/chromium (`apt-get install chromium`; never `playwright install`) and the npm packages
(`npm ci --prefix deploy/webchat`). Skipped only when Chromium is missing outside CI; in CI (CI set) it runs
and fails loudly instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from handlers.channels.botframework import create_app
from handlers.channels.botframework.app import STATE
from handlers.channels.botframework.directline import LOCAL_DIRECTLINE
from handlers.channels.botframework.teams import answer_card
from handlers.model.answer import PARTIAL
from index.config import Config

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NODE_MODULES = Config().webchat_dir / "node_modules"
ARTIFACTS = ROOT / "var" / "test-artifacts"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TIMEOUT_MS = 20_000


async def save_screenshot(png: bytes, name: str) -> None:
    """Every run keeps its screenshot as an artefact; the docs' copy changes only when asked to."""
    targets = [ARTIFACTS]
    if os.environ.get("KOMPETENSBOT_UPDATE_SCREENSHOTS") == "1":
        targets.append(DOCS_SCREENSHOTS)
    for folder in targets:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(png)


pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="Debian's chromium is not installed (apt-get install chromium); required in CI",
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    assert CHROMIUM.exists(), (
        "Browser tests need Debian's chromium at /usr/bin/chromium: apt-get install chromium"
    )
    assert (NODE_MODULES / "botframework-webchat" / "dist" / "webchat.js").is_file(), (
        "Web Chat is not installed: run npm ci --prefix deploy/webchat"
    )
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        await browser.close()


@pytest_asyncio.fixture(loop_scope="session")
async def server(real_qa: Any) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(create_app(Config(), lambda: real_qa), host="127.0.0.1"))
    await client.start_server()
    assert await asyncio.to_thread(client.app[STATE].done.wait, 60)
    yield client
    await client.close()


def watch(page: Any) -> tuple[list[str], list[str]]:
    """Every URL the page requests, and every error it reports (uncaught exceptions, console errors)."""
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return requests, errors


def foreign_hosts(urls: list[str]) -> set[str]:
    hosts = {
        urlsplit(url).hostname or "" for url in urls if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
    }
    return hosts - LOOPBACK


async def is_focused(locator: Any) -> bool:
    return await locator.evaluate("element => element === document.activeElement")


async def test_chat_page_welcome_answer_feedback_and_reload(browser: Any, server: TestClient) -> None:
    started = time.monotonic()
    context = await browser.new_context(locale="sv-SE", viewport={"width": 760, "height": 900})
    page = await context.new_page()
    requests, errors = watch(page)
    await page.goto(str(server.make_url("/chat")))

    bubbles = page.locator(".webchat__bubble__content")
    welcome = bubbles.filter(has_text="Hej! Jag svarar på frågor")
    await welcome.wait_for(timeout=TIMEOUT_MS)

    # The page: Swedish, titled, with a heading, labelled controls and Web Chat's live region.
    assert await page.locator("html").get_attribute("lang") == "sv"
    assert (await page.title()).startswith("Kompetensbot")
    assert await page.get_by_role("heading", level=1).inner_text() == "Kompetensbot"
    send_box = page.get_by_placeholder("Skriv din fråga…")
    assert await send_box.get_attribute("aria-label")
    assert await page.get_by_role("button", name="Skicka").count() == 1
    assert await page.locator("#webchat [aria-live='polite']").count() >= 1
    examples = page.locator(".webchat__suggested-action")
    assert await examples.filter(has_text="Vad gör Almi?").count() == 1

    # Keyboard only: Tab from the top of the page reaches the send box (nothing traps the focus).
    for _ in range(20):
        await page.keyboard.press("Tab")
        if await is_focused(send_box):
            break
    else:
        pytest.fail("Tab never reached the send box")
    await page.keyboard.type("Vad gör Almi?")
    await page.keyboard.press("Enter")

    answer = bubbles.filter(has_text="Aktörer › Almi")
    await answer.wait_for(timeout=TIMEOUT_MS)
    text = await answer.inner_text()
    assert "Almi" in text and "lån" in text, text
    assert "Källor" in text
    user_bubble = page.locator(".webchat__bubble--from-user .webchat__bubble__content")
    assert await user_bubble.filter(has_text="Vad gör Almi?").count() == 1

    # Thumbs on the answer (not on the welcome), and the feedback reaches the server.
    like = page.get_by_role("button", name="Bra svar", exact=True)
    assert await like.count() == 1
    await like.focus()
    await page.keyboard.press("Enter")
    feedback = server.app[LOCAL_DIRECTLINE].feedback
    for _ in range(50):
        if feedback:
            break
        await asyncio.sleep(0.1)
    assert [(f["reaction"], f["question"]) for f in feedback] == [("like", "Vad gör Almi?")]

    # For the screenshot: the question at the top of the transcript, the focus back in the send box.
    await user_bubble.filter(has_text="Vad gör Almi?").evaluate("element => element.scrollIntoView()")
    await send_box.focus()
    await page.mouse.move(0, 0)
    await asyncio.sleep(0.3)
    await save_screenshot(await page.screenshot(), "webchat-answer.png")

    # Reload: the same conversation comes back, without a second welcome.
    await page.reload()
    await bubbles.filter(has_text="Aktörer › Almi").wait_for(timeout=TIMEOUT_MS)
    await welcome.first.wait_for(timeout=TIMEOUT_MS)
    await asyncio.sleep(1.5)  # a few polls: a second welcome would have arrived by now
    assert await welcome.count() == 1
    assert await user_bubble.filter(has_text="Vad gör Almi?").count() == 1

    assert foreign_hosts(requests) == set(), requests
    assert errors == []
    await context.close()
    assert time.monotonic() - started < 60


async def test_asking_back_offers_buttons_and_a_tap_answers(browser: Any, server: TestClient) -> None:
    """ "Menar du …?": the sections as suggested actions under the reply; tapping one answers from it."""
    context = await browser.new_context(locale="sv-SE", viewport={"width": 760, "height": 900})
    page = await context.new_page()
    _, errors = watch(page)
    await page.goto(str(server.make_url("/chat")))
    bubbles = page.locator(".webchat__bubble__content")
    await bubbles.filter(has_text="Hej! Jag svarar på frågor").wait_for(timeout=TIMEOUT_MS)
    send_box = page.get_by_placeholder("Skriv din fråga…")
    await send_box.fill("kompetensförsörjning")
    await send_box.press("Enter")
    await bubbles.filter(has_text="Menar du något av det här?").wait_for(timeout=TIMEOUT_MS)
    offered = page.locator(".webchat__suggested-action")
    await offered.first.wait_for(timeout=TIMEOUT_MS)
    labels = [text.strip() for text in await offered.all_inner_texts()]
    assert 1 <= len(labels) <= 3, labels
    await offered.filter(has_text=labels[0]).first.click()
    answer = bubbles.filter(has_text="Käll").filter(has_text=labels[0])
    await answer.first.wait_for(timeout=TIMEOUT_MS)
    assert errors == []
    await context.close()


# Close to Teams' light theme: Segoe UI, 14px base, Teams purple for buttons.
HOST_CONFIG = {
    "fontFamily": "'Segoe UI', system-ui, -apple-system, 'Helvetica Neue', Arial, sans-serif",
    "spacing": {"small": 4, "default": 8, "medium": 12, "large": 16, "extraLarge": 24, "padding": 16},
    "separator": {"lineThickness": 1, "lineColor": "#E1DFDD"},
    "fontSizes": {"small": 12, "default": 14, "medium": 16, "large": 18, "extraLarge": 24},
    "containerStyles": {
        "default": {
            "backgroundColor": "#FFFFFF",
            "foregroundColors": {
                "default": {"default": "#242424", "subtle": "#616161"},
                "accent": {"default": "#5B5FC7", "subtle": "#5B5FC7"},
            },
        }
    },
    "actions": {
        "maxActions": 5,
        "buttonSpacing": 8,
        "actionsOrientation": "Vertical",
        "actionAlignment": "Stretch",
        "showCard": {"actionMode": "Inline"},
        "spacing": "Default",
    },
}

CARD_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Teams-svar</title>
<style>
  body { margin: 0; background: #F5F5F5; font-family: 'Segoe UI', system-ui, sans-serif; }
  #shot { display: inline-block; padding: 20px 24px 24px; background: #F5F5F5; }
  .bubble { width: 560px; background: #FFFFFF; border-radius: 6px; box-shadow: 0 1px 2px rgba(0,0,0,.14); }
  .who { font-size: 12px; color: #616161; margin: 0 0 6px 4px; }
  .ac-pushButton { background: #FFFFFF; color: #242424; border: 1px solid #D1D1D1; border-radius: 4px;
    padding: 6px 12px; font: 600 14px 'Segoe UI', system-ui, sans-serif; cursor: pointer; min-height: 32px; }
  .ac-pushButton:hover { background: #F5F5F5; }
  .ac-textBlock p { margin: 0; }
  /* The renderer gives lists width: 100%. */
  .ac-textBlock ul { margin: 0; padding-left: 20px; box-sizing: border-box; }
</style></head>
<body><div id="shot"><p class="who">Kompetensbot</p><div class="bubble" id="card"></div></div></body></html>
"""

RENDER = """([card, hostConfig]) => {
  // Teams renders the Markdown in TextBlocks (lists, bold); the JS renderer needs a processor for that.
  const markdown = window.markdownit();
  AdaptiveCards.AdaptiveCard.onProcessMarkdown = (text, result) => {
    result.outputHtml = markdown.render(text);
    result.didProcess = true;
  };
  const adaptiveCard = new AdaptiveCards.AdaptiveCard();
  adaptiveCard.hostConfig = new AdaptiveCards.HostConfig(hostConfig);
  adaptiveCard.parse(card);
  const element = adaptiveCard.render();
  document.getElementById('card').appendChild(element);
  return element.querySelectorAll('.ac-pushButton').length;
}"""


async def render_card(browser: Any, card: dict[str, Any], screenshot: str) -> str:
    """Render `card` as Teams would (adaptivecards + markdown-it, Teams-like host config), save a screenshot,
    and return the text shown; the card has three buttons and the page loads nothing from anywhere."""
    assert card["version"] == "1.5"
    scripts = [
        NODE_MODULES / "adaptivecards" / "dist" / "adaptivecards.min.js",
        NODE_MODULES / "markdown-it" / "dist" / "markdown-it.min.js",
    ]
    for script in scripts:
        assert script.is_file(), (
            f"{script.parent.parent.name} is not installed: run npm ci --prefix deploy/webchat"
        )

    context = await browser.new_context(locale="sv-SE", viewport={"width": 640, "height": 900})
    page = await context.new_page()
    requests, errors = watch(page)
    await page.set_content(CARD_PAGE)
    for script in scripts:  # inlined: the page loads nothing from anywhere
        await page.add_script_tag(content=script.read_text(encoding="utf-8"))
    buttons = await page.evaluate(RENDER, [json.loads(json.dumps(card)), HOST_CONFIG])
    assert buttons == 3
    shown = await page.locator("#card").inner_text()
    await save_screenshot(await page.locator("#shot").screenshot(), screenshot)
    assert foreign_hosts(requests) == set(), requests
    assert errors == []
    await context.close()
    return shown


async def test_teams_answer_card_renders(browser: Any, real_qa: Any) -> None:
    answer = real_qa.answer("Vad gör Almi?")
    shown = await render_card(browser, answer_card(answer), "teams-card.png")
    assert "Almi" in shown and "Källor" in shown


async def test_teams_partial_answer_card_renders_the_note_first(browser: Any, real_qa: Any) -> None:
    # The plan's words about Almi, as a partial answer to a question the plan has no answer to.
    answered = real_qa.answer("Vad gör Almi?")
    note = "Planen anger ingen budget för Almi."
    partial = replace(answered, question="Vilken budget har Almi?", outcome=PARTIAL, note=note)
    shown = await render_card(browser, answer_card(partial), "teams-card-partial.png")
    assert shown.lstrip().startswith(note), shown
    assert shown.index(note) < shown.index("Almi", len(note))
    assert "[1]" in shown
