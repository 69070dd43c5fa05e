"""What prepaid credit adds to each close, at the size of a large reseller programme.

    .venv/bin/python benchmarks/run_credit_benchmark.py [--masters 20] [--subs 100] [--purchases 10000]
        [--transfers 2000] [--top-ups 200] [--root benchmarks/data/credits]

One landing zone of `--masters` master resellers with `--subs` sub-partners each
(every partner billed on its own, all EUR, two tenants each, a year of light
usage), closed month by month twice: without credit files, and with
`--purchases` purchases, `--transfers` transfers between masters and their subs
(both ways) and `--top-ups` top-up rules over 2025. The two replays run
alternately, month by month, so a busy machine slows both alike. Per month: the
wall time of `partner-billing run --through <month>` and of its dbt steps, in
both; the difference is what credits add. Results go to
benchmarks/credit-results-<timestamp>.json and are printed as a table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_benchmark import BIN, REPO, run_measured, stage_seconds  # noqa: E402

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]
EMPTY_FILES = ("pricing/partner_rate_cards.csv", "pricing/partner_retail_prices.csv", "pricing/partner_markups.csv",
               "billing/promotions.csv", "billing/commitments.csv", "billing/credit_notes.csv",
               "billing/credit_purchases.csv", "billing/credit_transfers.csv", "billing/credit_top_ups.csv")
PACKAGES = (("credits_1k_eur", 70), ("credits_10k_eur", 25), ("credits_50k_eur", 5))
DBT_STEPS = ("close_dbt_models", "post_close_dbt_models")


def _rewrite(path: Path, transform) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows = transform(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def programme_landing(landing: Path, masters: int, subs: int) -> list[str]:
    """The sample's accounts and usage, its partners made `masters` hierarchies of `subs` EUR sub-partners
    billed on their own, its pricing and billing files emptied (they name the sample's own hierarchy)."""
    partners = masters * (1 + subs)
    subprocess.run([str(BIN / "partner-billing"), "sample", "--landing", str(landing), "--partners", str(partners),
                    "--tenants", str(2 * partners), "--months", "12", "--start", "2025-01",
                    "--events-per-tenant-day", "1"], check=True, capture_output=True)

    def hierarchies(rows):
        for index, row in enumerate(rows):
            row.update(parent_partner_id="" if index < masters else rows[index % masters]["partner_id"],
                       bills_via_parent="false", currency="EUR", tier_floor="")
        return rows

    _rewrite(landing / "accounts/partners.csv", hierarchies)
    for name in EMPTY_FILES:
        with (landing / name).open(encoding="utf-8") as handle:
            header = handle.readline()
        (landing / name).write_text(header, encoding="utf-8")
    with (landing / "accounts/partners.csv").open(encoding="utf-8", newline="") as handle:
        return [r["partner_id"] for r in csv.DictReader(handle)]


def write_credit_files(landing: Path, partner_ids: list[str], masters: int, purchases: int, transfers: int,
                       top_ups: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    days = [date(2025, 1, 1) + timedelta(days=d) for d in range(365)]
    packages, weights = zip(*PACKAGES)
    _write(landing / "billing/credit_purchases.csv",
           ["purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"],
           [[f"buy-{n:05d}", "partner", rng.choice(partner_ids[:masters] if rng.random() < 0.3 else partner_ids),
             rng.choices(packages, weights)[0], str(rng.randint(1, 3)), rng.choice(days).isoformat()]
            for n in range(purchases)])
    rows = []
    for n in range(transfers):
        sub_index = rng.randrange(masters, len(partner_ids))
        master, sub = partner_ids[sub_index % masters], partner_ids[sub_index]
        sender, receiver = (master, sub) if rng.random() < 0.7 else (sub, master)
        rows.append([f"move-{n:05d}", sender, receiver, "EUR", f"{rng.randint(100, 20000)}.00",
                     rng.choice(days).isoformat()])
    _write(landing / "billing/credit_transfers.csv",
           ["transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"], rows)
    _write(landing / "billing/credit_top_ups.csv",
           ["rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"],
           [[f"top-up-{p}", "partner", p, "credits_1k_eur", "1", "500.00"]
            for p in rng.sample(partner_ids[masters:], top_ups)])


def environment(variant: Path) -> dict[str, str]:
    home, data = variant / "dagster_home", variant / "data"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    home.mkdir(parents=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {**os.environ, "DAGSTER_HOME": str(home), "BILLING_START": "2025-01",
            "LANDING_DIR": str(variant / "landing"), "WAREHOUSE_PATH": str(data / "warehouse.duckdb"),
            "LEDGER_PATH": str(data / "ledger.duckdb"), "ANALYTICS_PATH": str(data / "analytics.duckdb"),
            "EXPORTS_DIR": str(data / "exports")}


def close_month(variant: Path, env: dict[str, str], month: str) -> dict:
    since = time.time()
    result = run_measured([str(BIN / "partner-billing"), "run", "--through", month], env,
                          variant / f"run-{month}.log")
    stages = stage_seconds(Path(env["DAGSTER_HOME"]), since)["stages"]
    result["dbt_seconds"] = round(sum(v for k, v in stages.items() if k in DBT_STEPS), 2)
    return result


def ledger_counts(variant: Path) -> dict:
    with duckdb.connect(str(variant / "data/ledger.duckdb"), read_only=True) as con:
        return dict(zip(
            ("entries", "blocks", "purchases_charged", "transfers_applied", "transfers_rejected", "top_ups_decided"),
            con.execute("""select (select count(*) from credit_entries), (select count(*) from credit_blocks),
                (select count(*) from credit_purchases),
                (select count(*) from credit_transfers where outcome = 'applied'),
                (select count(*) from credit_transfers where outcome = 'rejected'),
                (select count(*) from credit_top_ups)""").fetchone()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--masters", type=int, default=20)
    parser.add_argument("--subs", type=int, default=100)
    parser.add_argument("--purchases", type=int, default=10000)
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--top-ups", type=int, default=200)
    parser.add_argument("--root", type=Path, default=REPO / "benchmarks" / "data" / "credits")
    args = parser.parse_args()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    plain, credits = args.root / "plain", args.root / "credits"
    shutil.rmtree(args.root, ignore_errors=True)
    partner_ids = programme_landing(plain / "landing", args.masters, args.subs)
    shutil.copytree(plain / "landing", credits / "landing")
    write_credit_files(credits / "landing", partner_ids, args.masters, args.purchases, args.transfers, args.top_ups)
    envs = {"plain": environment(plain), "credits": environment(credits)}
    months = []
    for month in MONTHS:
        row = {"month": month}
        for name, variant in (("plain", plain), ("credits", credits)):
            row[name] = close_month(variant, envs[name], month)
        row["added_seconds"] = round(row["credits"]["seconds"] - row["plain"]["seconds"], 2)
        row["added_dbt_seconds"] = round(row["credits"]["dbt_seconds"] - row["plain"]["dbt_seconds"], 2)
        months.append(row)
        print(f"{month}: plain {row['plain']['seconds']:6.1f} s (dbt {row['plain']['dbt_seconds']:5.1f}), "
              f"credits {row['credits']['seconds']:6.1f} s (dbt {row['credits']['dbt_seconds']:5.1f}), "
              f"added {row['added_seconds']:+5.1f} s", flush=True)
    added = [m["added_seconds"] for m in months]
    results = {"started": started, "arguments": {
                   k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
               "partners": len(partner_ids), "months": months,
               "added_seconds_mean": round(sum(added) / len(added), 2), "added_seconds_max": max(added),
               "ledger": ledger_counts(credits)}
    out = REPO / "benchmarks" / f"credit-results-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps({k: v for k, v in results.items() if k != "months"}, indent=2))
    print(f"results: {out}")


if __name__ == "__main__":
    main()
