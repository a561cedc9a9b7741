"""The Teams app package: a filled, valid manifest, icons Teams accepts, errors that say what to fix."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from deploy.teams.package import HERE, PackageError, build_package, validate_manifest

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "6f1c2b3a-1234-4abc-9def-0123456789ab"
DOMAIN = "kompetensbot.example.se"
SCOPES = {"personal", "team", "groupChat"}
TEMPLATE_FILES = ("manifest.template.json", "en-US.template.json", "color.png", "outline.png")


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(APP_ID, DOMAIN, "1.2.3", tmp_path_factory.mktemp("teams") / "kompetensbot.zip")


@pytest.fixture(scope="module")
def contents(package: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def manifest(contents: dict[str, bytes]) -> dict:
    return json.loads(contents["manifest.json"].decode("utf-8"))


@pytest.fixture(scope="module")
def english(contents: dict[str, bytes]) -> dict:
    return json.loads(contents["en-US.json"].decode("utf-8"))


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of deploy/teams to break."""
    for name in TEMPLATE_FILES:
        shutil.copy(HERE / name, tmp_path / name)
    return tmp_path


def png_header(data: bytes) -> tuple[int, int, int, int]:
    """(width, height, bit depth, colour type) from the IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height, depth, color_type = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, color_type


def rgba_pixels(data: bytes) -> list[tuple[int, int, int, int]]:
    """The pixels of an 8-bit RGBA PNG whose rows use filter type 0 (as the committed icons do)."""
    width, height, depth, color_type = png_header(data)
    assert (depth, color_type) == (8, 6)
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0, f"row {y} uses PNG filter {row[0]}; the icons are written unfiltered"
        pixels += [tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(width)]
    return pixels


def write_png(path: Path, width: int, height: int, pixel: tuple[int, ...]) -> None:
    """A one-colour, unfiltered PNG (RGB for 3-tuples, RGBA for 4-tuples)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    color_type = 6 if len(pixel) == 4 else 2
    raw = (b"\x00" + bytes(pixel) * width) * height
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# --- the package ---------------------------------------------------------------------------------------


def test_zip_holds_manifest_localization_and_icons_at_its_root(contents: dict[str, bytes]) -> None:
    assert sorted(contents) == ["color.png", "en-US.json", "manifest.json", "outline.png"]


def test_placeholders_are_filled(manifest: dict, contents: dict[str, bytes]) -> None:
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == [DOMAIN]
    assert manifest["version"] == "1.2.3"
    for name in ("manifest.json", "en-US.json"):
        assert "{{" not in contents[name].decode("utf-8")


def test_manifest_schema_is_1_17_or_later(manifest: dict) -> None:
    major, minor = (int(part) for part in manifest["manifestVersion"].split("."))
    assert (major, minor) >= (1, 17)
    assert manifest["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{major}.{minor}/MicrosoftTeams.schema.json"
    )


def test_names_descriptions_developer_and_colour(manifest: dict) -> None:
    assert manifest["name"] == {
        "short": "Kompetensbot",
        "full": "Kompetensbot – Regional handlingsplan för kompetensförsörjning",
    }
    assert len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert "handlingsplan" in manifest["description"]["full"]
    developer = manifest["developer"]
    assert developer["name"] == "Region Örebro län"
    for field in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[field].startswith("https://www.regionorebrolan.se")
    assert manifest["accentColor"].startswith("#") and len(manifest["accentColor"]) == 7
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]


def test_bot_works_in_all_scopes_with_prompt_starters_for_each(manifest: dict) -> None:
    (bot,) = manifest["bots"]
    assert set(bot["scopes"]) == SCOPES
    assert bot["supportsFiles"] is False and bot["isNotificationOnly"] is False
    covered = set()
    for command_list in bot["commandLists"]:
        covered.update(command_list["scopes"])
        assert 1 <= len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert len(command["title"]) <= 32 and len(command["description"]) <= 128
    assert covered == SCOPES
    titles = {command["title"] for command in bot["commandLists"][0]["commands"]}
    assert {"Vad gör Almi?", "Vad förväntas av oss som kommun?", "hjälp"} <= titles


def test_swedish_by_default_with_an_english_localization(manifest: dict, english: dict) -> None:
    assert manifest["localizationInfo"] == {
        "defaultLanguageTag": "sv-SE",
        "additionalLanguages": [{"languageTag": "en-US", "file": "en-US.json"}],
    }
    assert english["$schema"].endswith(
        f"/v{manifest['manifestVersion']}/MicrosoftTeams.Localization.schema.json"
    )
    assert english["name.short"] == "Kompetensbot"
    assert len(english["description.short"]) <= 80 and len(english["description.full"]) <= 4000
    assert english["description.short"] != manifest["description"]["short"]
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, _ in enumerate(command_list["commands"]):
            title = english[f"bots[0].commandLists[{i}].commands[{j}].title"]
            assert 0 < len(title) <= 32
            assert 0 < len(english[f"bots[0].commandLists[{i}].commands[{j}].description"]) <= 128
    assert english["bots[0].commandLists[0].commands[0].title"] == "What does Almi do?"


def test_icon_sizes_from_the_png_headers(manifest: dict, contents: dict[str, bytes]) -> None:
    color = png_header(contents[manifest["icons"]["color"]])
    outline = png_header(contents[manifest["icons"]["outline"]])
    assert color[:2] == (192, 192) and color[3] in (2, 6)  # RGB or RGBA
    assert outline[:2] == (32, 32) and outline[3] == 6  # RGBA: an alpha channel


def test_outline_is_white_on_a_fully_transparent_background(contents: dict[str, bytes]) -> None:
    pixels = rgba_pixels(contents["outline.png"])
    assert all(alpha == 0 or (r, g, b) == (255, 255, 255) for r, g, b, alpha in pixels)
    drawn = sum(alpha > 0 for *_, alpha in pixels)
    assert 100 < drawn < 32 * 32 / 2  # a drawing, not an empty or a filled square
    assert pixels[0][3] == 0  # the corners are transparent


def test_prompt_starters_are_questions_the_bot_answers(real_qa, manifest: dict, english: dict) -> None:
    from handlers.channels.botframework.activity_handler import HELP_COMMANDS

    lists = manifest["bots"][0]["commandLists"]
    titles = {command["title"] for command_list in lists for command in command_list["commands"]}
    titles |= {value for key, value in english.items() if key.endswith(".title")}
    for title in sorted(titles):
        if title.lower() in HELP_COMMANDS:
            continue
        assert real_qa.answer(title).answered, f"the prompt starter {title!r} is declined"
    assert {"hjälp", "help"} <= titles


# --- what is checked -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_id", "domain", "version", "message"),
    [
        ("not-a-guid", DOMAIN, "1.0.0", "inte ett GUID"),
        ("6f1c2b3a12344abc9def0123456789ab", DOMAIN, "1.0.0", "inte ett GUID"),
        ("", DOMAIN, "1.0.0", "app-id saknas"),
        (APP_ID, f"https://{DOMAIN}", "1.0.0", "utan http(s)://"),
        (APP_ID, f"{DOMAIN}/api/messages", "1.0.0", "utan sökväg"),
        (APP_ID, f"{DOMAIN}:443", "1.0.0", "utan port"),
        (APP_ID, "kompetensbot", "1.0.0", "inget giltigt värdnamn"),
        (APP_ID, DOMAIN, "1.0", "x.y.z"),
        (APP_ID, DOMAIN, "v1.0.0", "x.y.z"),
        (APP_ID, DOMAIN, "1.0.0-beta", "x.y.z"),
    ],
)
def test_bad_values_are_refused_with_what_to_fix(
    tmp_path: Path, app_id: str, domain: str, version: str, message: str
) -> None:
    out = tmp_path / "package.zip"
    with pytest.raises(PackageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build_package(app_id, domain, version, out)
    assert not out.exists()


def test_all_bad_values_are_reported_at_once(tmp_path: Path) -> None:
    with pytest.raises(PackageError) as error:
        build_package("x", "https://x.se/", "1", tmp_path / "package.zip")
    assert len(str(error.value).splitlines()) == 3


def test_a_placeholder_the_template_leaves_unfilled_is_named(templates: Path, tmp_path: Path) -> None:
    path = templates / "manifest.template.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["developer"]["websiteUrl"] = "https://{{SUPPORT_HOST}}/kompetensbot"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PackageError, match=r"\{\{SUPPORT_HOST\}\} i developer\.websiteUrl.*rätta mallen"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


def test_a_placeholder_left_in_the_localization_is_named(templates: Path, tmp_path: Path) -> None:
    path = templates / "en-US.template.json"
    strings = json.loads(path.read_text(encoding="utf-8"))
    strings["name.full"] = "Kompetensbot {{EDITION}}"
    path.write_text(json.dumps(strings, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PackageError, match=r"en-US\.template\.json.*\{\{EDITION\}\}"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


def test_leftover_placeholders_fail_validation(manifest: dict) -> None:
    broken = json.loads(json.dumps(manifest))
    broken["validDomains"] = ["{{BOT_DOMAIN}}"]
    with pytest.raises(PackageError, match="oifyllda platshållare: BOT_DOMAIN"):
        validate_manifest(broken)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.pop("accentColor"), "saknar fältet 'accentColor'"),
        (lambda m: m["developer"].pop("privacyUrl"), "developer.privacyUrl saknas"),
        (lambda m: m["developer"].update(termsOfUseUrl="http://x.se"), "https://"),
        (lambda m: m.update(accentColor="blue"), "#RRGGBB"),
        (lambda m: m["name"].update(short="K" * 31), "name.short är 31 tecken, högst 30"),
        (lambda m: m["name"].update(full="K" * 101), "name.full är 101 tecken"),
        (lambda m: m["description"].update(short="K" * 81), "description.short är 81 tecken"),
        (lambda m: m["description"].update(full="K" * 4001), "description.full är 4001 tecken"),
        (lambda m: m.update(manifestVersion="1.16"), "stämmer inte med \\$schema"),
        (
            lambda m: m.update(
                manifestVersion="1.16",
                **{
                    "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/v1.16/MicrosoftTeams.schema.json"
                },
            ),
            "1.17 eller senare",
        ),
        (lambda m: m["bots"][0]["commandLists"].pop(), "saknar en lista för groupChat"),
        (
            lambda m: m["bots"][0]["commandLists"][0]["commands"][0].update(title="T" * 33),
            r"commandLists\[0\]\.commands\[0\]\.title .* 33 tecken, högst 32",
        ),
        (
            lambda m: m["bots"][0]["commandLists"][1]["commands"].extend(
                [{"title": "a", "description": "b"}] * 5
            ),
            r"commandLists\[1\]\.commands har 15 kommandon",
        ),
    ],
)
def test_manifest_rules(manifest: dict, change, message: str) -> None:
    broken = json.loads(json.dumps(manifest))
    change(broken)
    with pytest.raises(PackageError, match=message):
        validate_manifest(broken)


def test_an_outline_icon_with_colour_is_refused(templates: Path, tmp_path: Path) -> None:
    write_png(templates / "outline.png", 32, 32, (128, 128, 128, 255))
    with pytest.raises(PackageError, match=r"outline.*bara vitt eller helt genomskinligt"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


def test_an_outline_icon_without_alpha_is_refused(templates: Path, tmp_path: Path) -> None:
    write_png(templates / "outline.png", 32, 32, (255, 255, 255))
    with pytest.raises(PackageError, match="alfakanal"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


def test_an_icon_of_the_wrong_size_is_refused(templates: Path, tmp_path: Path) -> None:
    write_png(templates / "color.png", 96, 96, (43, 108, 176))
    with pytest.raises(PackageError, match="96×96, ska vara 192×192"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


def test_palette_grey_alpha_and_interlaced_icons_are_read(templates: Path, tmp_path: Path) -> None:
    """Pillow reads every PNG variant an image editor may save: a palette, grey with alpha, interlacing."""
    from PIL import Image

    colour = Image.new("RGB", (192, 192), (43, 108, 176)).convert("P")
    colour.save(templates / "color.png", interlace=1)
    outline = Image.new("LA", (32, 32), (255, 0))
    outline.putpixel((5, 5), (255, 255))
    outline.save(templates / "outline.png")
    build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)
    outline.putpixel((6, 5), (128, 255))  # a grey pixel is colour too
    outline.save(templates / "outline.png")
    with pytest.raises(PackageError, match=r"pixeln \(6, 5\)"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


def test_a_file_that_is_not_a_png_is_refused(templates: Path, tmp_path: Path) -> None:
    (templates / "color.png").write_bytes(b"GIF89a")
    with pytest.raises(PackageError, match="inte en PNG-fil"):
        build_package(APP_ID, DOMAIN, "1.0.0", tmp_path / "package.zip", templates=templates)


# --- the command line ----------------------------------------------------------------------------------


def run_bot(*args: str, app_id_env: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "MicrosoftAppId"}
    if app_id_env is not None:
        env["MicrosoftAppId"] = app_id_env
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )


def test_cli_builds_the_package(tmp_path: Path) -> None:
    out = tmp_path / "dist" / "kompetensbot-teams.zip"
    args = ("--app-id", APP_ID, "--domain", DOMAIN, "--version", "1.0.0", "--out", str(out))
    result = run_bot("teams-package", *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID


def test_cli_takes_the_app_id_from_microsoft_app_id(tmp_path: Path) -> None:
    out = tmp_path / "package.zip"
    result = run_bot(
        "teams-package", "--domain", DOMAIN, "--version", "2.0.0", "--out", str(out), app_id_env=APP_ID
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == APP_ID


def test_cli_bad_app_id_exits_2_with_the_reason(tmp_path: Path) -> None:
    out = tmp_path / "package.zip"
    result = run_bot(
        "teams-package", "--app-id", "nope", "--domain", DOMAIN, "--version", "1.0.0", "--out", str(out)
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Fel:") and "GUID" in result.stderr
    assert not out.exists()


def test_cli_without_any_app_id_says_where_to_give_it(tmp_path: Path) -> None:
    result = run_bot(
        "teams-package", "--domain", DOMAIN, "--version", "1.0.0", "--out", str(tmp_path / "p.zip")
    )
    assert result.returncode == 2
    assert "Fel: app-id saknas" in result.stderr and "MicrosoftAppId" in result.stderr
