"""An alert scenario whose every value is computed by hand (SPEC §5.12).

All EUR, PA in the Registered tier (15 % off: api_calls 0.0012 list, 0.00102
wholesale); td1 a direct tenant (active_users 12.00 list). PA holds ta1 and
ta2 and buys 1 x credits_10k_eur on 2025-01-02 (a block of 10,000.00).

January, month to date at each landing date (no close before January: the
credit balance is 0):
- 2025-01-03: PA api_calls 400,000 -> spend 408.00; td1 10 users -> 120.00.
- 2025-01-10: PA 1,000,000 -> 1,020.00; td1 20 users (dated 01-09) -> 240.00.
- 2025-01-20: PA 1,100,000 -> 1,122.00.
January's close draws 1,122.00 of PA's block: 8,878.00 left.
February (the balance after January's close, 8,878.00):
- 2025-02-02: PA 200,000 dated 02-02 -> 204.00, balance 8,674.00; the folder
  also holds 50,000 dated 2025-01-31 (late usage: no January landing date
  sees it, so January's alerts never count it).
- 2025-02-05: PA 1,100,000 -> 1,122.00, balance 7,756.00.

Rules and what fires:
- u-at (usage, PA, api_calls >= 1,000,000): 2025-01-10 at exactly 1,000,000;
  2025-02-05 at 1,100,000.
- u-below (usage, PA, api_calls >= 1,100,000.000001): never (1,100,000 in
  January even with the late 50,000 landed in February).
- s-td (spend, td1 >= 240.00): 2025-01-10 at exactly 240.00; not in February.
- s-pa (spend, PA >= 1,122.00): 2025-01-20 and 2025-02-05, at 1,122.00.
- c-pa (credit_balance, PA <= 8,000.00): 2025-01-03 at -408.00; 2025-02-05 at
  7,756.00 (8,674.00 on 2025-02-02 is above it).
- bad-metric (usage of an unknown metric): never evaluated, reported.
"""

from __future__ import annotations

from pathlib import Path

from tests.landing import USAGE_HEADER, write_csv

RULES_HEADER = ["alert_id", "billing_account_type", "billing_account_id", "measure", "metric", "threshold",
                "webhook_url"]
HOOK = "http://hooks.example.com/alerts"
RULES = [
    ["u-at", "partner", "PA", "usage", "api_calls", "1000000", HOOK],
    ["u-below", "partner", "PA", "usage", "api_calls", "1100000.000001", HOOK],
    ["s-td", "tenant", "td1", "spend", "", "240.00", ""],
    ["s-pa", "partner", "PA", "spend", "", "1122", HOOK],
    ["c-pa", "partner", "PA", "credit_balance", "", "8000.00", HOOK],
    ["bad-metric", "partner", "PA", "usage", "page_views", "1", HOOK],
]


def write_alert_scenario(landing: Path, hook: str = HOOK) -> None:
    """The landing zone as January's close sees it, the rules posting to `hook`."""
    write_csv(landing / "accounts/partners.csv",
              ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency"],
              [["PA", "Alert Reseller", "", "false", "EUR"]])
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency"],
              [["ta1", "Tenant One", "eur"], ["ta2", "Tenant Two", "eur"], ["td1", "Direct", "eur"]])
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from", "valid_to"],
              [["ta1", "PA", "2024-01-01", ""], ["ta2", "PA", "2024-01-01", ""]])
    write_csv(landing / "billing/credit_purchases.csv",
              ["purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"],
              [["p-pa", "partner", "PA", "credits_10k_eur", "1", "2025-01-02"]])
    write_csv(landing / "billing/alert_rules.csv", RULES_HEADER,
              [[*rule[:6], hook if rule[6] else ""] for rule in RULES])
    write_csv(landing / "usage/2025-01-03/u.csv", USAGE_HEADER, [
        ["a1", "ta1", "api_calls", "400000", "2025-01-03T10:00:00Z"],
        ["a2", "td1", "active_users", "10", "2025-01-03T10:00:00Z"],
    ])
    write_csv(landing / "usage/2025-01-10/u.csv", USAGE_HEADER, [
        ["a3", "ta2", "api_calls", "600000", "2025-01-10T10:00:00Z"],
        ["a4", "td1", "active_users", "20", "2025-01-09T10:00:00Z"],
    ])
    write_csv(landing / "usage/2025-01-20/u.csv", USAGE_HEADER, [
        ["a5", "ta1", "api_calls", "100000", "2025-01-20T10:00:00Z"],
    ])


def land_february(landing: Path) -> None:
    """After January's close: February's usage, and late January usage in a February folder."""
    write_csv(landing / "usage/2025-02-02/u.csv", USAGE_HEADER, [
        ["b1", "ta1", "api_calls", "50000", "2025-01-31T23:00:00Z"],
        ["b2", "ta1", "api_calls", "200000", "2025-02-02T08:00:00Z"],
    ])
    write_csv(landing / "usage/2025-02-05/u.csv", USAGE_HEADER, [
        ["b3", "ta2", "api_calls", "900000", "2025-02-05T08:00:00Z"],
    ])
