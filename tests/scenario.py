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

Promotions, markups and commitments (SPEC §5.2, §5.8), all EUR, Registered
(15 % off: active_users 10.20, api_calls 0.00102, compute_minutes 0.02975):
- PD (tenant tpd1), promotions pd-all and pd-all-2 (10 %, every metric, a tie:
  the smaller id pd-all wins) and pd-api (25 %, api_calls, January only: the
  higher wins). January:
  * active_users 10 x (10.20 x 0.9 = 9.18) = 9180, pd-all
  * api_calls 10000 x (0.00102 x 0.75 = 0.000765) = 7.65 -> 765, pd-api
  * compute_minutes 2 x (0.02975 x 0.9 = 0.026775) = 0.05355 -> 5, pd-all
  Commitment cm-pd 50.00 (Jan-Feb): 9950 >= 5000, met, no line.
  Retail: active_users has an explicit 11.00 (-> 11000); api_calls a markup
  of 100 % for the metric (beside 50 % for every metric, and an older 10 %
  for the metric): 0.00102 x 2 = 0.00204 -> 20.40 -> 2040 (wholesale before
  promotion); compute_minutes 50 %: 0.02975 x 1.5 = 0.044625 x 2 = 0.08925 -> 9.
  February: active_users 3 x 9.18 = 2754, pd-all; commitment true-up
  5000 - 2754 = 2246.
- PE (tenant tpe1), commitment cm-pe 100.00 for January: 4 users x 10.20 =
  4080, true-up 5920 (missed). Late usage for 2025-01-28 lands on 2025-02-03:
  12 users -> 12240 >= 10000, so February adjusts January by +8160 (quantity
  +8) and the commitment by -5920.
- tds direct, promotion tenants-storage (50 % off storage_gb for every
  tenant, January): one reading of 31 GB on one day -> 31 / 31 = 1 x
  (0.25 x 0.5) = 0.125 -> 13; commitment cm-tds 20.00 (Jan-Feb): true-up
  1987 in January, and 2000 in February, a month with no usage.

Credit notes (SPEC §5.10), processed at February's close in (issued_on, id)
order against January's emitted lines:
- cn-1 1.00 and cn-2 2.65 on PA's api_calls line (365): 100 + 265 = 365, the
  whole line, both accepted; cn-3 0.01 more on it is rejected exceeds_line.
- cn-4 names a line never emitted (unknown_line); cn-5 gives the reason
  `Duplicate` (bad_reason); cn-6 credits 0.055 EUR (bad_amount).
- cn-7 credits 35 JPY of tj1's line (235): tj1's February invoice holds only
  that credit, a total of -35.
- cn-8 credits 9.20 of PE's January commitment line (5920 -> -920).
- cn-9 is issued on 1 March: not processed by February's close.
"""

from __future__ import annotations

from pathlib import Path

from tests.landing import USAGE_HEADER, write_csv

PARTNERS = [
    ["PA", "Alpha Master", "", "false", "EUR", "DK", "", ""],
    ["PB", "Beta Sub", "PA", "TRUE", "eur", "DK", "", ""],
    ["PC", "Gamma US", "", "false", "usd", "US", "certified", "cus_existingPC"],
    ["PD", "Delta Reseller", "", "false", "EUR", "SE", "", ""],
    ["PE", "Echo Partner", "", "false", "EUR", "NO", "", ""],
]
TENANTS = [
    ["ta1", "Tenant A1", "eur", "A-1"],
    ["ta2", "=cmd|' /C calc'!A0", "eur", "A-2"],
    ["tc1", "Tenant C1", "usd", "C-1"],
    ["tm", "Tenant Moving", "eur", ""],
    ["td1", "Direct DK", "dkk", ""],
    ["tj1", "Direct JP", "jpy", ""],
    ["tpd1", "Tenant D1", "eur", "D-1"],
    ["tpe1", "Tenant E1", "eur", "E-1"],
    ["tds", "Direct Storage", "eur", ""],
]
ASSIGNMENTS = [
    ["ta1", "PA", "2024-12-01", ""],
    ["ta2", "PB", "2024-12-01", ""],
    ["tc1", "PC", "2024-12-01", ""],
    ["tm", "PA", "2024-12-01", "2025-01-31"],
    ["tpd1", "PD", "2024-12-01", ""],
    ["tpe1", "PE", "2024-12-01", ""],
]
MARKUPS = [
    ["PD", "", "50", "2024-01-01"],
    ["PD", "api_calls", "10", "2024-01-01"],
    ["PD", "api_calls", "100", "2024-06-01"],
]
PROMOTIONS = [
    ["pd-all-2", "partner", "PD", "", "10", "2025-01", ""],
    ["pd-all", "partner", "PD", "", "10", "2025-01", ""],
    ["pd-api", "partner", "PD", "api_calls", "25", "2025-01", "2025-02"],
    ["tenants-storage", "tenant", "", "storage_gb", "50", "2025-01", "2025-02"],
]
CREDIT_NOTES = [
    ["cn-2", "partner:PA:2025-01:usage:api_calls:", "2.65", "order_change", "2025-02-11", "rest of the line"],
    ["cn-1", "partner:PA:2025-01:usage:api_calls:", "1.00", "duplicate", "2025-02-10", ""],
    ["cn-3", "partner:PA:2025-01:usage:api_calls:", "0.01", "duplicate", "2025-02-12", ""],
    ["cn-4", "partner:PA:2025-01:usage:gpu_hours:", "1.00", "duplicate", "2025-02-12", ""],
    ["cn-5", "tenant:td1:2025-01:usage:compute_minutes:", "1.00", "Duplicate", "2025-02-13", ""],
    ["cn-6", "tenant:tm:2025-01:usage:api_calls:", "0.055", "fraudulent", "2025-02-14", ""],
    ["cn-7", "tenant:tj1:2025-01:usage:api_calls:", "35", "product_unsatisfactory", "2025-02-20", "=SUM(A1)"],
    ["cn-8", "partner:PE:2025-01:commitment:cm-pe:", "9.20", "order_change", "2025-02-21", ""],
    ["cn-9", "tenant:td1:2025-01:usage:compute_minutes:", "1.00", "duplicate", "2025-03-01", ""],
]
COMMITMENTS = [
    ["cm-pd", "partner", "PD", "EUR", "50.00", "2025-01", "2025-03"],
    ["cm-pe", "partner", "PE", "eur", "100", "2025-01", "2025-02"],
    ["cm-tds", "tenant", "tds", "EUR", "20", "2025-01", "2025-03"],
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
               ["PA", "api_calls", "usd", "0.5", "2024-01-01"],  # another currency: ignored
               ["PD", "active_users", "eur", "11.00", "2024-01-01"]])
    write_csv(landing / "pricing/partner_markups.csv", ["partner_id", "metric", "markup_pct", "effective_from"], MARKUPS)
    write_csv(landing / "billing/promotions.csv",
              ["promotion_id", "billing_account_type", "billing_account_id", "metric", "percent_off", "valid_from",
               "valid_to"], PROMOTIONS)
    write_csv(landing / "billing/commitments.csv",
              ["commitment_id", "billing_account_type", "billing_account_id", "currency", "monthly_minimum",
               "valid_from", "valid_to"], COMMITMENTS)
    write_csv(landing / "billing/credit_notes.csv",
              ["credit_note_id", "line_key", "amount", "reason", "issued_on", "memo"], CREDIT_NOTES)

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
        ["e20", "tpd1", "active_users", "10", "2025-01-05T10:00:00Z"],
        ["e21", "tpd1", "api_calls", "10000", "2025-01-05T10:00:00Z"],
        ["e22", "tpd1", "compute_minutes", "2", "2025-01-05T10:00:00Z"],
        ["e23", "tpe1", "active_users", "4", "2025-01-05T10:00:00Z"],
        ["e24", "tds", "storage_gb", "31", "2025-01-05T10:00:00Z"],
    ])
    usage("2025-01-20", [
        ["e15", "ta1", "active_users", "400", "2025-01-20T10:00:00Z"],
        ["e16", "ta1", "api_calls", "2345", "2025-01-20T10:00:00Z"],
        ["e17", "ta2", "active_users", "150", "2025-01-20T10:00:00Z"],
    ])
    usage("2025-02-03", [
        ["e18", "ta2", "active_users", "600", "2025-01-30T12:00:00Z"],
        ["e19", "ta1", "active_users", "10", "2025-02-03T12:00:00Z"],
        ["e25", "tpe1", "active_users", "12", "2025-01-28T12:00:00Z"],
        ["e26", "tpd1", "active_users", "3", "2025-02-03T12:00:00Z"],
    ])
