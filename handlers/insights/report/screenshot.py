"""Regenerate docs/screenshots/report.png: a report from a generated month of traffic, in Chromium.

    .venv/bin/python -m handlers.insights.report.screenshot

Writes the generated log to a temporary SQLite store, builds the report with the bundled e5, and renders it
in Debian's Chromium through Playwright (as the browser tests do; never `playwright install`): a 1200 px
wide viewport, the top of the page, as PNG. A development tool: Playwright is a dev dependency.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from handlers.insights.feedback import FeedbackStore
from handlers.insights.question_log import QuestionLog
from handlers.insights.report import write_report
from handlers.insights.report.sample import write_sample_log
from index.config import ROOT, Config

CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "docs" / "screenshots" / "report.png"
VIEWPORT = {"width": 1200, "height": 1500}


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        config = replace(Config(), database_url=f"sqlite:///{Path(folder) / 'store.sqlite3'}")
        store = FeedbackStore.open(config)
        # A fixed end keeps the screenshot the same from run to run.
        write_sample_log(store, QuestionLog(store.database), datetime(2026, 11, 27, 17, tzinfo=UTC))
        store.close()
        report = write_report(config, timedelta(days=30), page, now=datetime(2026, 11, 27, 17, tzinfo=UTC))
        OUT.write_bytes(_render(page))
    print(f"{report.summary()}\n{OUT} ({OUT.stat().st_size // 1024} kB)")
    return 0


def _render(page: Path) -> bytes:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            tab = browser.new_page(viewport=VIEWPORT, locale="sv-SE")
            tab.goto(page.as_uri())
            return tab.screenshot()
        finally:
            browser.close()


if __name__ == "__main__":
    sys.exit(main())
