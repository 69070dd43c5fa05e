"""The usage part of the landing zone: its landing dates and their files.

A landing date is a folder `usage/YYYY-MM-DD`; its files are read in name
order, hidden files left out. `batches` groups dates for one ingest pass.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

_DATE_FOLDER = re.compile(r"\d{4}-\d{2}-\d{2}")

# Landing files per ingest pass, on disk: this bounds the memory of the pass's text batch
# (benchmarks/README.md gives the figures at the benchmark's sizes).
BATCH_BYTES = 64 * 2**20


@dataclass(frozen=True)
class LandedFile:
    path: Path
    landing_date: date
    source_file: str  # its path under the landing root, as reject rows name it


def usage_folder(landing_dir: Path, landing_date: date) -> Path:
    return landing_dir / "usage" / landing_date.isoformat()


def _folder_date(name: str) -> date | None:
    """The landing date a folder name is, if it is exactly YYYY-MM-DD and a real date."""
    if not _DATE_FOLDER.fullmatch(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def landed_dates(landing_dir: Path, since: date | None = None) -> list[date]:
    """Landing dates: folders under usage/ named exactly YYYY-MM-DD, from `since` on."""
    root = landing_dir / "usage"
    if not root.is_dir():
        return []
    found = (_folder_date(child.name) for child in root.iterdir() if child.is_dir())
    return sorted(d for d in found if d is not None and (since is None or d >= since))


@dataclass(frozen=True)
class UnreadEntry:
    """Something under usage/ that is not a landing date ingest reads: reported, never silently ignored."""

    path: str  # under the landing root
    reason: str
    files: int


def unread_usage_entries(landing_dir: Path, since: date) -> list[UnreadEntry]:
    """Every entry under usage/ that is not a landing date folder from `since` on, with the files it holds."""
    root = landing_dir / "usage"
    if not root.is_dir():
        return []
    entries = []
    for child in sorted(root.iterdir()):
        path = child.relative_to(landing_dir).as_posix()
        if not child.is_dir():
            entries.append(UnreadEntry(path, "a file directly under usage/, not in a landing date folder", 1))
            continue
        files = sum(1 for p in child.rglob("*") if p.is_file())
        folder_date = _folder_date(child.name)
        if folder_date is None:
            entries.append(UnreadEntry(path, "not a landing date folder (YYYY-MM-DD)", files))
        elif folder_date < since:
            entries.append(UnreadEntry(path, f"dated before the first landing date partition, {since}", files))
    return entries


def landed_files(landing_dir: Path, landing_date: date) -> list[Path]:
    folder = usage_folder(landing_dir, landing_date)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def files_fingerprint(landing_dir: Path, landing_date: date) -> str:
    """What a landing date's files are now: their names, sizes and modification times, as one digest.

    Ingest records it with the partition; a date whose digest differs from the
    recorded one (a file added, replaced, touched or deleted) is re-ingested.
    """
    listing = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in landed_files(landing_dir, landing_date)]
    return hashlib.sha256(repr(listing).encode()).hexdigest()[:32]


def batches(landing_dir: Path, dates: Sequence[date], ingested: set[date], max_bytes: int = BATCH_BYTES) -> list[list[date]]:
    """Dates in order, in groups that one pass may ingest together.

    A date ingested before is a group of its own; consecutive new dates share a
    group until their files reach `max_bytes` on disk, which bounds the batch's memory.
    """
    groups: list[list[date]] = []
    size = 0
    for landing_date in sorted(set(dates)):
        date_bytes = sum(p.stat().st_size for p in landed_files(landing_dir, landing_date))
        joinable = groups and groups[-1][-1] not in ingested and landing_date not in ingested
        if joinable and size + date_bytes <= max_bytes:
            groups[-1].append(landing_date)
            size += date_bytes
        else:
            groups.append([landing_date])
            size = date_bytes
    return groups
