"""The Microsoft Teams app package: the templates in this folder filled in, checked and zipped.

`build_package(app_id, domain, version, out)` writes a zip with manifest.json, the localization file(s),
color.png and outline.png at its root, ready for Teams (Apps → Manage your apps → Upload a custom app).
Everything Teams would reject is checked here first, and a PackageError says what to fix. The icons are
read with Pillow.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

HERE = Path(__file__).resolve().parent
MANIFEST_TEMPLATE = "manifest.template.json"
MIN_MANIFEST_VERSION = (1, 17)
COLOUR_MODES = ("RGB", "RGBA", "P", "PA")  # Pillow's modes of a PNG in colour (P: a palette)

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
SCHEMA_URL = re.compile(
    r"^https://developer\.microsoft\.com/(?:en-us/)?json-schemas/teams/v(\d+)\.(\d+)/MicrosoftTeams\.schema\.json$"
)
REQUIRED = (
    "$schema",
    "manifestVersion",
    "version",
    "id",
    "developer",
    "name",
    "description",
    "icons",
    "accentColor",
    "bots",
)
BOT_SCOPES = {"personal", "team", "groupChat"}
LOCALIZED_COMMAND = re.compile(r"^bots\[0\]\.commandLists\[(\d+)\]\.commands\[(\d+)\]\.(title|description)$")

# Field limits of the manifest schema (name, description) and of prompt starters in the Teams client.
LIMITS = {"name.short": 30, "name.full": 100, "description.short": 80, "description.full": 4000}
COMMAND_LIMITS = {"title": 32, "description": 128}
MAX_COMMAND_LISTS, MAX_COMMANDS = 3, 10
ICONS = {"color": (192, 192), "outline": (32, 32)}


class PackageError(ValueError):
    """The package cannot be built; the message says what to fix."""


def build_package(app_id: str, domain: str, version: str, out: Path, *, templates: Path = HERE) -> Path:
    """Fill the templates in `templates`, validate the result and write the zip to `out`; returns `out`."""
    values: dict[str, str] = {}
    problems: list[str] = []
    for name, check, value in (
        ("APP_ID", _check_app_id, app_id),
        ("BOT_DOMAIN", _check_domain, domain),
        ("VERSION", _check_version, version),
    ):
        try:
            values[name] = check(value)
        except PackageError as error:
            problems.append(str(error))
    if problems:
        raise PackageError("\n".join(problems))
    manifest = _fill(_load(templates / MANIFEST_TEMPLATE), values, MANIFEST_TEMPLATE)
    files: dict[str, bytes] = {}
    localizations: dict[str, dict] = {}
    for language in manifest.get("localizationInfo", {}).get("additionalLanguages", []):
        name = language.get("file", "")
        template = f"{Path(name).stem}.template.json"
        if not name.endswith(".json") or Path(name).name != name:
            raise PackageError(f"localizationInfo: filen '{name}' ska vara ett filnamn som slutar på .json")
        localizations[name] = _fill(_load(templates / template), values, template)
    validate_manifest(manifest, localizations)
    for kind, (width, height) in ICONS.items():
        name = manifest["icons"][kind]
        path = templates / name
        if not path.is_file():
            raise PackageError(f"icons.{kind}: filen {name} saknas i {templates}")
        files[name] = path.read_bytes()
        _check_icon(kind, name, files[name], width, height)

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", _dump(manifest))
        for name, data in localizations.items():
            archive.writestr(name, _dump(data))
        for name, data in files.items():
            archive.writestr(name, data)
    return out


# --- the values that fill the placeholders -------------------------------------------------------------


def _check_app_id(app_id: str) -> str:
    app_id = (app_id or "").strip()
    if not app_id:
        raise PackageError(
            "app-id saknas: ange --app-id med Azure Bot-resursens Microsoft App ID "
            "(eller sätt MicrosoftAppId)"
        )
    if not GUID.match(app_id):
        raise PackageError(
            f"app-id '{app_id}' är inte ett GUID: använd Azure Bot-resursens Microsoft App ID "
            "(Entra-appens klient-id), t.ex. 00000000-0000-0000-0000-000000000000"
        )
    return app_id.lower()


def _check_domain(domain: str) -> str:
    domain = (domain or "").strip()
    example = "t.ex. kompetensbot.example.se"
    if not domain:
        raise PackageError(f"domän saknas: ange --domain med botens värdnamn, {example}")
    if "://" in domain:
        raise PackageError(f"domänen '{domain}' ska vara bara värdnamnet, utan http(s)://, {example}")
    if "/" in domain or "?" in domain or "#" in domain:
        raise PackageError(f"domänen '{domain}' ska vara bara värdnamnet, utan sökväg, {example}")
    if ":" in domain:
        raise PackageError(f"domänen '{domain}' ska vara bara värdnamnet, utan port, {example}")
    labels = domain.rstrip(".").split(".")
    if len(labels) < 2 or not all(HOST_LABEL.match(label) for label in labels):
        raise PackageError(f"domänen '{domain}' är inget giltigt värdnamn, {example}")
    return domain.rstrip(".").lower()


def _check_version(version: str) -> str:
    version = (version or "").strip()
    if not SEMVER.match(version):
        raise PackageError(
            f"versionen '{version}' ska vara på formen x.y.z (semver, t.ex. 1.0.0), utan 'v' och tillägg; "
            "höj den för varje ny uppladdning"
        )
    return version


# --- templates -----------------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackageError(f"mallen {path} saknas") from None
    except json.JSONDecodeError as error:
        raise PackageError(f"mallen {path} är inte giltig JSON: {error}") from None


def _fill(node: Any, values: dict[str, str], source: str, where: str = "") -> Any:
    """The template with {{NAME}} replaced in every string; a name without a value is an error."""
    if isinstance(node, dict):
        return {
            _fill(key, values, source, where): _fill(value, values, source, f"{where}.{key}".lstrip("."))
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_fill(value, values, source, f"{where}[{i}]") for i, value in enumerate(node)]
    if isinstance(node, str):
        for name in PLACEHOLDER.findall(node):
            if name not in values:
                known = ", ".join("{{" + key + "}}" for key in values)
                raise PackageError(
                    f"{source}: platshållaren {{{{{name}}}}} i {where or 'en nyckel'} fylls inte i "
                    f"(kända: {known}); rätta mallen"
                )
        return PLACEHOLDER.sub(lambda match: values[match.group(1)], node)
    return node


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- the manifest --------------------------------------------------------------------------------------


def validate_manifest(manifest: dict, localizations: dict[str, dict] | None = None) -> None:
    """Raise PackageError for anything Teams would reject (or that a placeholder left behind)."""
    leftover = sorted(set(PLACEHOLDER.findall(json.dumps(manifest, ensure_ascii=False))))
    if leftover:
        raise PackageError(f"manifestet har kvar oifyllda platshållare: {', '.join(leftover)}")
    for field in REQUIRED:
        if field not in manifest:
            raise PackageError(f"manifestet saknar fältet '{field}'")
    for field in ("developer", "name", "description", "icons"):
        if not isinstance(manifest[field], dict):
            raise PackageError(f"manifestets fält '{field}' ska vara ett objekt")

    schema = SCHEMA_URL.match(str(manifest["$schema"]))
    if not schema:
        raise PackageError(
            f"$schema '{manifest['$schema']}' är inte Teams manifestschema "
            "(https://developer.microsoft.com/en-us/json-schemas/teams/vX.Y/MicrosoftTeams.schema.json)"
        )
    schema_version = (int(schema.group(1)), int(schema.group(2)))
    if manifest["manifestVersion"] != f"{schema_version[0]}.{schema_version[1]}":
        raise PackageError(
            f"manifestVersion '{manifest['manifestVersion']}' stämmer inte med $schema "
            f"(v{schema_version[0]}.{schema_version[1]})"
        )
    if schema_version < MIN_MANIFEST_VERSION:
        raise PackageError(
            f"manifestVersion {manifest['manifestVersion']} är för gammal; använd 1.17 eller senare"
        )
    if not SEMVER.match(str(manifest["version"])):
        raise PackageError(f"version '{manifest['version']}' ska vara x.y.z")
    if not GUID.match(str(manifest["id"])):
        raise PackageError(f"id '{manifest['id']}' är inte ett GUID")

    developer = manifest["developer"]
    for field in ("name", "websiteUrl", "privacyUrl", "termsOfUseUrl"):
        if not developer.get(field):
            raise PackageError(f"developer.{field} saknas")
        if field != "name" and not str(developer[field]).startswith("https://"):
            raise PackageError(f"developer.{field} '{developer[field]}' måste vara en https://-adress")
    if len(developer["name"]) > 32:
        raise PackageError("developer.name får vara högst 32 tecken")

    texts = {
        "name.short": manifest["name"].get("short"),
        "name.full": manifest["name"].get("full"),
        "description.short": manifest["description"].get("short"),
        "description.full": manifest["description"].get("full"),
    }
    _check_texts(texts, "manifestet")

    for kind in ICONS:
        if not manifest["icons"].get(kind):
            raise PackageError(f"icons.{kind} saknas")
    if not COLOR.match(str(manifest["accentColor"])):
        raise PackageError(f"accentColor '{manifest['accentColor']}' ska vara en färg på formen #RRGGBB")
    _check_bots(manifest)
    for domain in manifest.get("validDomains", []):
        if "://" in domain or "/" in domain:
            raise PackageError(f"validDomains: '{domain}' ska vara bara ett värdnamn")

    info = manifest.get("localizationInfo")
    if info is not None and not info.get("defaultLanguageTag"):
        raise PackageError("localizationInfo.defaultLanguageTag saknas")
    for name, strings in (localizations or {}).items():
        _check_localization(name, strings, manifest)


def _check_texts(texts: dict[str, Any], where: str) -> None:
    for key, limit in LIMITS.items():
        value = texts.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PackageError(f"{where}: {key} saknas")
        if len(value) > limit:
            raise PackageError(f"{where}: {key} är {len(value)} tecken, högst {limit} får plats")
    if texts["description.short"] in texts["description.full"]:
        raise PackageError(f"{where}: description.short får inte upprepas i description.full")


def _check_bots(manifest: dict) -> None:
    bots = manifest["bots"]
    if not isinstance(bots, list) or len(bots) != 1:
        raise PackageError("bots ska innehålla exakt en bot")
    bot = bots[0]
    if not GUID.match(str(bot.get("botId", ""))):
        raise PackageError(
            f"bots[0].botId '{bot.get('botId')}' är inte ett GUID (Azure Bot-resursens app-id)"
        )
    scopes = bot.get("scopes") or []
    if not scopes or not set(scopes) <= BOT_SCOPES:
        raise PackageError(f"bots[0].scopes {scopes} ska vara några av {sorted(BOT_SCOPES)}")
    lists = bot.get("commandLists") or []
    if len(lists) > MAX_COMMAND_LISTS:
        raise PackageError(f"bots[0].commandLists har {len(lists)} listor, högst {MAX_COMMAND_LISTS}")
    covered: set[str] = set()
    for i, command_list in enumerate(lists):
        where = f"bots[0].commandLists[{i}]"
        list_scopes = command_list.get("scopes") or []
        if not list_scopes or not set(list_scopes) <= set(scopes):
            raise PackageError(f"{where}.scopes {list_scopes} ska vara några av botens scopes {scopes}")
        covered.update(list_scopes)
        commands = command_list.get("commands") or []
        if not 1 <= len(commands) <= MAX_COMMANDS:
            raise PackageError(f"{where}.commands har {len(commands)} kommandon, 1–{MAX_COMMANDS} tillåts")
        for j, command in enumerate(commands):
            for field, limit in COMMAND_LIMITS.items():
                _check_command_text(f"{where}.commands[{j}].{field}", command.get(field), limit)
    missing = [scope for scope in scopes if scope not in covered]
    if missing:
        raise PackageError(f"bots[0].commandLists saknar en lista för {', '.join(missing)}")


def _check_command_text(where: str, value: Any, limit: int) -> None:
    if not isinstance(value, str) or not value.strip():
        raise PackageError(f"{where} saknas")
    if len(value) > limit:
        raise PackageError(f"{where} '{value}' är {len(value)} tecken, högst {limit}")


def _check_localization(name: str, strings: dict, manifest: dict) -> None:
    where = f"lokaliseringsfilen {name}"
    leftover = sorted(set(PLACEHOLDER.findall(json.dumps(strings, ensure_ascii=False))))
    if leftover:
        raise PackageError(f"{where} har kvar oifyllda platshållare: {', '.join(leftover)}")
    _check_texts(strings, where)
    lists = manifest["bots"][0].get("commandLists") or []
    for key, value in strings.items():
        match = LOCALIZED_COMMAND.match(key)
        if match:
            i, j, field = int(match.group(1)), int(match.group(2)), match.group(3)
            if i >= len(lists) or j >= len(lists[i].get("commands", [])):
                raise PackageError(f"{where}: {key} pekar på ett kommando som inte finns i manifestet")
            _check_command_text(f"{where}: {key}", value, COMMAND_LIMITS[field])
        elif key not in LIMITS and key != "$schema":
            raise PackageError(f"{where}: okänd nyckel '{key}'")


# --- icons ---------------------------------------------------------------------------------------------


def _check_icon(kind: str, name: str, data: bytes, width: int, height: int) -> None:
    """What Teams requires of an icon: a PNG of its size; the colour one in colour, the outline one white
    on transparent (every pixel white or fully transparent). Decoded by Pillow, whatever the PNG's depth,
    palette or interlacing."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise PackageError(f"icons.{kind} ({name}): inte en PNG-fil utan {image.format}")
            image.load()
    except (UnidentifiedImageError, OSError) as error:
        raise PackageError(f"icons.{kind} ({name}): inte en PNG-fil som går att läsa ({error})") from None
    if image.size != (width, height):
        found = f"{image.width}×{image.height}"
        raise PackageError(f"icons.{kind} ({name}) är {found}, ska vara {width}×{height}")
    if kind == "color" and image.mode not in COLOUR_MODES:
        raise PackageError(f"icons.color ({name}) ska vara en färgbild (RGB eller RGBA)")
    if kind == "outline":
        if not (image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info):
            raise PackageError(f"icons.outline ({name}) ska ha alfakanal (vitt på genomskinlig bakgrund)")
        pixels = np.asarray(image.convert("RGBA"))
        coloured = (pixels[..., 3] != 0) & (pixels[..., :3] != 255).any(axis=-1)
        if coloured.any():
            y, x = (int(v) for v in np.argwhere(coloured)[0])
            raise PackageError(
                f"icons.outline ({name}): pixeln ({x}, {y}) är {tuple(int(v) for v in pixels[y, x])}; bara "
                "vitt eller helt genomskinligt är tillåtet"
            )
