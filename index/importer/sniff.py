"""What kind of file this is, from its first bytes rather than its name."""

from __future__ import annotations

import zipfile
from pathlib import Path

from index.importer.model import ImportRefused, encrypted

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an old .doc, or an encrypted Office file
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")


def file_kind(path: Path) -> str:
    """ "pdf" or "docx"; otherwise ImportRefused with what the file is and what to do."""
    try:
        head = path.read_bytes()[:1024] if path.is_file() else b""
    except OSError as error:
        raise ImportRefused(f"Kan inte läsa {path}: {error.strerror}.") from error
    if not path.is_file():
        raise ImportRefused(f"Filen {path} finns inte.")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(OLE):
        if ENCRYPTED_PACKAGE in path.read_bytes():
            raise encrypted(path.name)
        raise ImportRefused(f"{path.name} är en äldre Word-fil (.doc). Spara den som .docx och försök igen.")
    if head.startswith(b"PK") and _is_docx(path):
        return "docx"
    raise ImportRefused(
        f"{path.name} är varken en PDF eller en Word-fil (.docx). Importera planen som PDF eller .docx."
    )


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False
