"""The web chat page: GET /chat, and its scripts and styles under /chat/static/.

The page (deploy/webchat/index.html, kompetensbot.css, kompetensbot.js) is ours; the widget is Microsoft's
Web Chat, installed by `npm ci --prefix deploy/webchat` and served from node_modules, never from a CDN and
never committed. We serve the full bundle, `dist/webchat.js`: the bot answers in Markdown (bold, lists, the
sources line), which the minimal bundle does not render, and it also renders Adaptive Cards; the ES5 bundle
only adds Internet Explorer support at a larger size. It is about 3.9 MB, so it is gzipped once in memory
(about 1 MB on the wire) and cached by the browser.

Without the bundle, /chat answers 503 with a Swedish page saying how to install it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from index.config import Config

log = logging.getLogger(__name__)

BUNDLE = Path("node_modules") / "botframework-webchat" / "dist" / "webchat.js"
INSTALL_COMMAND = "npm ci --prefix deploy/webchat"

# Name under /chat/static/ → (path relative to the web chat folder, content type).
STATIC_FILES = {
    "webchat.js": (BUNDLE, "text/javascript"),
    "kompetensbot.js": (Path("kompetensbot.js"), "text/javascript"),
    "kompetensbot.css": (Path("kompetensbot.css"), "text/css"),
}

MISSING_BUNDLE_PAGE = f"""<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>Kompetensbot – webbchatten är inte installerad</title></head>
<body>
<h1>Kompetensbot</h1>
<p>Webbchatten är inte installerad på servern. Kör <code>{INSTALL_COMMAND}</code> i projektets mapp
och ladda sedan om sidan.</p>
</body>
</html>
"""


def _content_security_policy(config: Config) -> str:
    # Web Chat injects its styles at run time, hence 'unsafe-inline' for styles (not for scripts).
    connect = " ".join(dict.fromkeys(["'self'", _origin(config.directline_url)]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data: blob:; connect-src {connect}; media-src 'self' blob:; "
        "object-src 'none'; base-uri 'self'; form-action 'none'; "
        f"frame-ancestors {_frame_ancestors(config.frame_ancestors)}"
    )


_FRAME_SOURCE = re.compile(r"'self'|'none'|https?://[A-Za-z0-9.*-]+(:[0-9]+)?")


def _frame_ancestors(value: str) -> str:
    """The sites that may embed the page in a frame (KOMPETENSBOT_FRAME_ANCESTORS): space-separated origins
    or 'self'; anything else (a wildcard, another directive) is dropped, leaving 'self' if nothing is left."""
    sources = [s for s in value.split() if _FRAME_SOURCE.fullmatch(s)]
    return " ".join(sources) or "'self'"


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}" if rest else "'self'"


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple[int, int]  # (mtime_ns, size) of the file this was read from
    body: bytes
    gzipped: bytes
    etag: str


class WebChatFiles:
    """Reads the page and its files from the web chat folder, re-reading a file when it changes."""

    def __init__(self, config: Config) -> None:
        self.root = Path(config.webchat_dir)
        self.csp = _content_security_policy(config)
        self._cache: dict[str, _Loaded] = {}

    def bundle_installed(self) -> bool:
        return (self.root / BUNDLE).is_file()

    async def page(self, request: web.Request) -> web.Response:
        headers = {"Cache-Control": "no-cache", "Content-Security-Policy": self.csp}
        if not self.bundle_installed():
            log.warning("Web Chat bundle missing at %s: run `%s`", self.root / BUNDLE, INSTALL_COMMAND)
            return web.Response(
                text=MISSING_BUNDLE_PAGE, status=503, content_type="text/html", headers=headers
            )
        return await self._respond(request, self.root / "index.html", "text/html", headers)

    async def static(self, request: web.Request) -> web.Response:
        entry = STATIC_FILES.get(request.match_info["name"])
        if entry is None:
            raise web.HTTPNotFound()
        relative, content_type = entry
        path = self.root / relative
        if not path.is_file():
            if relative == BUNDLE:
                return web.Response(
                    text=f"Web Chat är inte installerad: kör {INSTALL_COMMAND}", status=503, charset="utf-8"
                )
            raise web.HTTPNotFound()
        return await self._respond(request, path, content_type, {"Cache-Control": "no-cache"})

    async def _respond(
        self, request: web.Request, path: Path, content_type: str, headers: dict[str, str]
    ) -> web.Response:
        loaded = await self._load(path)
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        etag = loaded.etag[:-1] + '-gz"' if gzipped else loaded.etag  # one ETag per representation
        headers = {**headers, "ETag": etag, "Vary": "Accept-Encoding"}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
        body = loaded.gzipped if gzipped else loaded.body
        return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)

    async def _load(self, path: Path) -> _Loaded:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(str(path))
        if cached is None or cached.stamp != stamp:
            cached = await asyncio.to_thread(_read, path, stamp)
            self._cache[str(path)] = cached
        return cached


def _read(path: Path, stamp: tuple[int, int]) -> _Loaded:
    body = path.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return _Loaded(stamp=stamp, body=body, gzipped=gzip.compress(body, compresslevel=6, mtime=0), etag=etag)


async def _redirect_to_page(request: web.Request) -> web.Response:
    # The page's URLs are relative to /chat, so /chat/ would break them.
    raise web.HTTPFound("../chat")


def add_routes(app: web.Application, config: Config) -> None:
    files = WebChatFiles(config)
    app.router.add_get("/chat", files.page)
    app.router.add_get("/chat/", _redirect_to_page)
    app.router.add_get("/chat/static/{name}", files.static)
