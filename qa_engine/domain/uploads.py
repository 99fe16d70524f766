"""What an uploaded attachment is: PDF, DOCX or ODT, judged by its name and by its content.

The name only says what the file claims to be; the bytes must agree. Office documents are zip
archives, so their structure is read (never inflated in full) and archives that would expand to
absurd sizes or hold too many members are refused before anyone opens them.
"""
from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
MEDIA_TYPES = {".pdf": PDF, ".docx": DOCX, ".odt": ODT}
MAX_ZIP_MEMBERS = 1000
MAX_ZIP_UNCOMPRESSED = 100 * 1024 * 1024
MAX_NAME_LENGTH = 200
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]|^\.|\.\.")


class FileRejected(ValueError):
    """The file is refused; the message tells the person why and what is accepted."""


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 20


def check_name(filename: str) -> str:
    """The file's name, normalised, if it is a plain name with an accepted extension.

    :raises FileRejected: for empty, over-long or path-like names and other extensions.
    """
    name = unicodedata.normalize("NFC", filename or "").strip()
    if not name:
        raise FileRejected("Choose a file to upload.")
    if len(name) > MAX_NAME_LENGTH or _UNSAFE_NAME.search(name):
        raise FileRejected("The file name is not allowed: use a plain name such as syllabus.pdf, "
                           "without folders, control characters or a leading dot.")
    if extension(name) not in MEDIA_TYPES:
        raise FileRejected("Only PDF, DOCX and ODT files are accepted.")
    return name


def extension(filename: str) -> str:
    """The lower-case extension with its dot ("" when there is none)."""
    stem, dot, ext = filename.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def media_type(filename: str, content: bytes, limits: UploadLimits) -> str:
    """The media type of an upload whose name and content agree.

    :raises FileRejected: naming the problem (size, type, damaged or oversized archive).
    """
    name = check_name(filename)
    if not content:
        raise FileRejected("The file is empty.")
    if len(content) > limits.max_bytes:
        raise FileRejected(f"The file is larger than {limits.max_bytes / (1024 * 1024):g} MiB.")
    expected = MEDIA_TYPES[extension(name)]
    if detect(content) != expected:
        raise FileRejected(f"The content of {name} is not a {_LABELS[expected]} file, whatever its name says.")
    return expected


_LABELS = {PDF: "PDF", DOCX: "DOCX", ODT: "ODT"}


def detect(content: bytes) -> str | None:
    """PDF, DOCX or ODT from the bytes alone; None for anything else.

    :raises FileRejected: for an archive with too many members or too large when expanded.
    """
    if content.startswith(b"%PDF-"):
        return PDF
    if not content.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            _check_archive(members)
            names = {member.filename for member in members}
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                return DOCX
            if members[0].filename == "mimetype":
                with archive.open(members[0]) as first:
                    if first.read(100).strip() == ODT.encode():
                        return ODT
    except FileRejected:
        raise
    # zipfile raises many kinds of error on damaged or hostile archives; all mean "not a document".
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, RuntimeError,
            NotImplementedError, KeyError, IndexError):
        return None
    return None


def _check_archive(members: list[zipfile.ZipInfo]) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise FileRejected(f"The archive inside the file has more than {MAX_ZIP_MEMBERS} parts; it is refused.")
    if sum(member.file_size for member in members) > MAX_ZIP_UNCOMPRESSED:
        raise FileRejected("The file would expand to more than 100 MiB; it is refused.")


def safe_download_name(filename: str) -> str:
    """A name fit for a Content-Disposition header: no control characters, quotes or separators."""
    cleaned = re.sub(r'[\x00-\x1f\x7f"\\/;]', "_", filename).strip() or "attachment"
    return cleaned[:MAX_NAME_LENGTH]
