"""Locations inside the repository (not configuration: they move with the code)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
PRICE_BOOK_SEED = DBT_PROJECT_DIR / "seeds" / "price_book.csv"
