"""A small billing scenario whose every amount is computed by hand.

January 2025 (closed on 2025-02-01):
- PA (EUR) bills itself and, via parent, PB. Tenants ta1 (PA) and ta2 (PB):
  active_users max 400 + 150 = 550 billable users -> Certified, 30 % off.
  * active_users 550 x (12.00 x 0.70 = 8.40) = 4620.00 -> 462000
  * api_calls (1000 + 2345) + 1001 = 4346 x 0.00084 = 3.65064 -> 365
    shares 280.98 / 84.084 -> floors 280 + 84, one unit left -> ta1: 281, ta2: 84
  * storage_gb avg: ta1 day 1 max 20, day 2 max 31 (readings in two landing
    partitions: 31 and 25) -> 51 / 31 days = 1.645161 x 0.175 = 0.287903 -> 29
  * compute_minutes 1.5 + 1.5 = 3 x 0.0245 = 0.0735 -> 7; shares 3.675 each:
    floors 3 + 3, one unit left, tie -> ta1 (ascending tenant_id): 4, ta2: 3
  Retail: PA sells active_users at 10.00 (ta1 400 -> 400000); PB has no retail
  price, so ta2 falls back to list 12.00 (150 -> 180000).
- PC (USD), floor "certified": 10 users would be Registered, raised to
  Certified: active_users 10 x 9.10 = 9100; api_calls rate card 0.0005 x 3000 = 150.
- tm was assigned to PA until 2025-01-31 (exclusive): on the month's last day
  it is direct, EUR list: api_calls 100 x 0.0012 = 0.12 -> 12.
- td1 direct DKK: compute_minutes 12.345 x 0.26 = 3.2097 -> 321.
- tj1 direct JPY (no minor unit): api_calls 1234.5 x 0.19 = 234.555 -> 235.

February 2025 (closed on 2025-03-01):
- Late usage for 2025-01-30 lands on 2025-02-03: ta2 active_users 600. PA's
  January users become 400 + 600 = 1000 -> Premier, 40 % off. Adjustments:
  * active_users 1000 x 7.20 = 720000 - 462000 = +258000, quantity +450
  * api_calls 4346 x 0.00072 = 3.12912 -> 313 - 365 = -52, quantity 0
  * storage_gb 1.645161 x 0.15 = 0.246774 -> 25 - 29 = -4, quantity 0
  * compute_minutes 3 x 0.021 = 0.063 -> 6 - 7 = -1, quantity 0
- ta1 active_users 10 in February: Registered, 10 x 10.20 = 10200.
"""

from __future__ import annotations

from pathlib import Path

from tests.landing import USAGE_HEADER, write_csv

PARTNERS = [
    ["PA", "Alpha Master", "", "false", "EUR", "DK", "", ""],
    ["PB", "Beta Sub", "PA", "TRUE", "eur", "DK", "", ""],
    ["PC", "Gamma US", "", "false", "usd", "US", "certified", "cus_existingPC"],
]
TENANTS = [
    ["ta1", "Tenant A1", "eur", "A-1"],
    ["ta2", "=cmd|' /C calc'!A0", "eur", "A-2"],
    ["tc1", "Tenant C1", "usd", "C-1"],
    ["tm", "Tenant Moving", "eur", ""],
    ["td1", "Direct DK", "dkk", ""],
    ["tj1", "Direct JP", "jpy", ""],
]
ASSIGNMENTS = [
    ["ta1", "PA", "2024-12-01", ""],
    ["ta2", "PB", "2024-12-01", ""],
    ["tc1", "PC", "2024-12-01", ""],
    ["tm", "PA", "2024-12-01", "2025-01-31"],
]


def write_scenario(landing: Path) -> None:
    write_csv(landing / "accounts/partners.csv",
              ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
               "tier_floor", "stripe_customer_id"], PARTNERS)
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency", "external_ref"], TENANTS)
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from", "valid_to"], ASSIGNMENTS)
    write_csv(landing / "pricing/partner_rate_cards.csv",
              ["partner_id", "metric", "currency", "wholesale_unit_price", "effective_from"],
              [["PC", "api_calls", "USD", "0.0005", "2024-01-01"]])
    write_csv(landing / "pricing/partner_retail_prices.csv",
              ["partner_id", "metric", "currency", "retail_unit_price", "effective_from"],
              [["PA", "active_users", "eur", "10.00", "2024-01-01"],
               ["PA", "api_calls", "usd", "0.5", "2024-01-01"]])  # another currency: ignored

    def usage(day: str, rows: list[list[str]], name: str = "u.csv") -> None:
        write_csv(landing / "usage" / day / name, USAGE_HEADER, rows)

    usage("2025-01-01", [
        ["e1", "ta1", "storage_gb", "10", "2025-01-01T01:00:00Z"],
        ["e2", "ta1", "storage_gb", "20", "2025-01-01T02:00:00Z"],
        ["e3", "tm", "api_calls", "100", "2025-01-01T03:00:00Z"],
    ])
    usage("2025-01-02", [["e4", "ta1", "storage_gb", "31", "2025-01-02T05:00:00Z"]])
    usage("2025-01-03", [["e5", "ta1", "storage_gb", "25", "2025-01-02T23:00:00Z"]])
    usage("2025-01-05", [
        ["e6", "ta1", "active_users", "300", "2025-01-05T10:00:00Z"],
        ["e7", "ta1", "api_calls", "1000", "2025-01-05T10:00:00Z"],
        ["e8", "ta2", "api_calls", "1001", "2025-01-05T10:00:00Z"],
        ["e9", "tc1", "active_users", "10", "2025-01-05T10:00:00Z"],
        ["e10", "tc1", "api_calls", "3000", "2025-01-05T10:00:00Z"],
        ["e11", "td1", "compute_minutes", "12.345", "2025-01-05T10:00:00Z"],
        ["e12", "tj1", "api_calls", "1234.5", "2025-01-05T10:00:00Z"],
        ["e13", "ta1", "compute_minutes", "1.5", "2025-01-05T10:00:00Z"],
        ["e14", "ta2", "compute_minutes", "1.5", "2025-01-05T10:00:00Z"],
    ])
    usage("2025-01-20", [
        ["e15", "ta1", "active_users", "400", "2025-01-20T10:00:00Z"],
        ["e16", "ta1", "api_calls", "2345", "2025-01-20T10:00:00Z"],
        ["e17", "ta2", "active_users", "150", "2025-01-20T10:00:00Z"],
    ])
    usage("2025-02-03", [
        ["e18", "ta2", "active_users", "600", "2025-01-30T12:00:00Z"],
        ["e19", "ta1", "active_users", "10", "2025-02-03T12:00:00Z"],
    ])
