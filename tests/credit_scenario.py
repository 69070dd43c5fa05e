"""A prepaid credit scenario whose every amount is computed by hand (SPEC §5.9).

All EUR, every account in the Registered tier (15 % off: active_users 10.20
wholesale; 12.00 list for the direct tenant). PM is a master reseller, PS its
sub-partner billed on its own, tdx a direct tenant. Packages are the seed's:
credits_1k_eur (1,000.00 for 1,000.00) and credits_10k_eur (10,000.00 for
9,500.00), valid 12 months.

January 2025 (closed on 2025-02-01), in date order:
- p-old: PM buys 5 x 1k on 2024-03-01: block 500000, expires 2025-03-01,
  charged 500000 (a purchase dated long before the first close).
- p-td: tdx buys 1 x 1k on 2025-01-03: block 100000.
- p-bulk: PM buys 1 x 10k on 2025-01-10: block 1000000 charged 950000 (bulk).
- p-ps: PS buys 1 x 1k on 2025-01-12: block 100000, expires 2026-01-12.
- t-down: PM gives PS 2,500.00 on 2025-01-15, from p-old (earliest expiry):
  p-old 250000 left, PS gets block t-down/p-old 250000, expiring 2025-03-01.
- Drawdown. PM owes 100 users x 10.20 = 102000: p-old pays it (148000 left).
  PS owes 300 x 10.20 = 306000: t-down/p-old (earlier expiry) pays 250000,
  then p-ps 56000 (partial: 44000 left). tdx owes 10 x 12.00 = 12000: p-td
  (88000 left).
- Invoices: PM 102000 - 102000 + 500000 + 950000 = 1450000; PS 306000 -
  306000 + 100000 = 100000; tdx 12000 - 12000 + 100000 = 100000.
- Top-up r-ps (PS, 1 x 1k below 500.00): PS holds 44000 < 50000, so
  r-ps/2025-02 is bought on 2025-02-01, charged at February's close.

February 2025 (closed on 2025-03-01):
- p-late (PS, 2 x 1k on 2025-01-20) lands after January's close: charged
  now (200000), its block effective from 2025-01-20. r-ps/2025-02 is charged
  (100000), its block expiring 2026-02-01.
- t-up: PS gives PM 300.00 on 2025-02-10, from p-ps (expiring first): PM
  gets t-up/p-ps 30000; p-ps 14000 left.
- t-big: PS gives PM 5,000.00 on 2025-02-12: PS holds 14000 + 200000 +
  100000 = 314000 < 500000: rejected insufficient_balance, nothing moves.
- PM owes 50 x 10.20 = 51000: p-old (expiring 2025-03-01, still usable on
  2025-02-28) pays it; its 97000 left expire at this close (breakage).
- tdx's credit note cn-td takes back its January line (-12000) and it has no
  usage: it owes -12000 and draws nothing.
- Balances: PM 1148000 -> 1030000 (+30000 in, -51000 drawn, -97000
  expired); PS 44000 -> 314000; tdx 88000 -> 88000.
"""

from __future__ import annotations

from pathlib import Path

from tests.landing import USAGE_HEADER, write_csv

PARTNERS = [
    ["PM", "Master Reseller", "", "false", "EUR", "DK", "", ""],
    ["PS", "Sub Reseller", "PM", "false", "EUR", "DK", "", ""],
]
TENANTS = [["tm1", "Master Tenant", "eur", "M-1"], ["ts1", "Sub Tenant", "eur", "S-1"], ["tdx", "Direct", "eur", ""]]
ASSIGNMENTS = [["tm1", "PM", "2024-01-01", ""], ["ts1", "PS", "2024-01-01", ""]]
PURCHASES_HEADER = ["purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"]
PURCHASES = [
    ["p-bulk", "partner", "PM", "credits_10k_eur", "1", "2025-01-10"],
    ["p-old", "partner", "PM", "credits_1k_eur", "5", "2024-03-01"],
    ["p-ps", "partner", "PS", "credits_1k_eur", "1", "2025-01-12"],
    ["p-td", "tenant", "tdx", "credits_1k_eur", "1", "2025-01-03"],
]
LATE_PURCHASE = ["p-late", "partner", "PS", "credits_1k_eur", "2", "2025-01-20"]
TRANSFERS = [
    ["t-down", "PM", "PS", "EUR", "2500.00", "2025-01-15"],
    ["t-up", "PS", "PM", "eur", "300", "2025-02-10"],
    ["t-big", "PS", "PM", "eur", "5000.00", "2025-02-12"],
]
TOP_UPS = [["r-ps", "partner", "PS", "credits_1k_eur", "1", "500.00"]]
CREDIT_NOTES = [["cn-td", "tenant:tdx:2025-01:usage:active_users:", "120.00", "order_change", "2025-02-05", ""]]


def write_credit_scenario(landing: Path) -> None:
    """The landing zone as January's close sees it."""
    write_csv(landing / "accounts/partners.csv",
              ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
               "tier_floor", "stripe_customer_id"], PARTNERS)
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency", "external_ref"], TENANTS)
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from", "valid_to"], ASSIGNMENTS)
    write_csv(landing / "billing/credit_purchases.csv", PURCHASES_HEADER, PURCHASES)
    write_csv(landing / "billing/credit_transfers.csv",
              ["transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"], TRANSFERS)
    write_csv(landing / "billing/credit_top_ups.csv",
              ["rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"], TOP_UPS)
    write_csv(landing / "billing/credit_notes.csv",
              ["credit_note_id", "line_key", "amount", "reason", "issued_on", "memo"], CREDIT_NOTES)
    write_csv(landing / "usage/2025-01-05/u.csv", USAGE_HEADER, [
        ["c1", "tm1", "active_users", "100", "2025-01-05T10:00:00Z"],
        ["c2", "ts1", "active_users", "300", "2025-01-05T10:00:00Z"],
        ["c3", "tdx", "active_users", "10", "2025-01-05T10:00:00Z"],
    ])
    write_csv(landing / "usage/2025-02-05/u.csv", USAGE_HEADER, [
        ["c4", "tm1", "active_users", "50", "2025-02-05T10:00:00Z"],
    ])


def land_late_purchase(landing: Path) -> None:
    """After January's close: a purchase dated in January lands."""
    write_csv(landing / "billing/credit_purchases.csv", PURCHASES_HEADER, [*PURCHASES, LATE_PURCHASE])
