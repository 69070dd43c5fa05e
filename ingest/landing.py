"""The usage part of the landing zone: its landing dates and their files.

A landing date is a folder `usage/YYYY-MM-DD`; its files are read in name
order, hidden files left out. `batches` groups dates for one ingest pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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


def landed_dates(landing_dir: Path) -> list[date]:
    """Landing dates with a usage folder, ignoring anything not named YYYY-MM-DD."""
    root = landing_dir / "usage"
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if child.is_dir():
            try:
                found.append(date.fromisoformat(child.name))
            except ValueError:
                continue
    return sorted(found)


def landed_files(landing_dir: Path, landing_date: date) -> list[Path]:
    folder = usage_folder(landing_dir, landing_date)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


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
