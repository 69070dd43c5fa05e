"""Prepaid credits against a plain-Python fold of SPEC §5.9: random purchases,
transfers both ways, top-up rules and usage in many independent partner
hierarchies, closed for two months by `partner-billing run`. Every block's
balance, every transfer's outcome, every credit line and every top-up decided
must be what the fold computes from the same files and the emitted usage."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.cli import main
from tests.conftest import clear_pipeline_environment
from tests.landing import USAGE_HEADER, write_csv

# The seed's EUR packages: (credit, price) in minor units; all valid 12 months.
PACKAGES = {"credits_1k_eur": (100000, 100000), "credits_10k_eur": (1000000, 950000),
            "credits_50k_eur": (5000000, 4500000)}
VALIDITY_MONTHS = 12
CLOSES = (dt.date(2025, 1, 1), dt.date(2025, 2, 1))
OWED_LINE_TYPES = ("usage", "adjustment", "commitment", "commitment_adjustment", "credit_note")


def plus_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_day(month: dt.date) -> dt.date:
    return plus_months(month, 1) - dt.timedelta(days=1)


@dataclass
class Block:
    block_id: str
    account: str
    effective_on: dt.date
    expires_on: dt.date
    balance: int

    def usable_on(self, day: dt.date) -> bool:
        return self.effective_on <= day < self.expires_on

    def drawdown_order(self) -> tuple:
        return (self.expires_on, self.effective_on, self.block_id)


@dataclass
class Fold:
    """What §5.9 says the ledger holds after each close, one hierarchy at a time."""
    blocks: dict[str, Block] = field(default_factory=dict)
    transfer_outcomes: dict[str, str] = field(default_factory=dict)
    credit_lines: dict[tuple[str, str], list[tuple[str, int]]] = field(default_factory=dict)
    top_ups: list[str] = field(default_factory=list)

    def close(self, month, purchases, transfers, top_up_rules, owed, pending_top_ups):
        for purchase_id, account, package, quantity, purchased_on in sorted(
                [*purchases, *pending_top_ups], key=lambda p: p[0]):
            if purchased_on <= last_day(month) and purchase_id not in self.blocks:
                self.blocks[purchase_id] = Block(purchase_id, account, purchased_on,
                                                 plus_months(purchased_on, VALIDITY_MONTHS),
                                                 PACKAGES[package][0] * quantity)
        for transfer_id, sender, receiver, amount, transferred_on in sorted(transfers, key=lambda t: (t[4], t[0])):
            if transferred_on > last_day(month) or transfer_id in self.transfer_outcomes:
                continue
            usable = sorted((b for b in self.blocks.values()
                             if b.account == sender and b.balance > 0 and b.usable_on(transferred_on)),
                            key=Block.drawdown_order)
            if sum(b.balance for b in usable) < amount:
                self.transfer_outcomes[transfer_id] = "rejected"
                continue
            self.transfer_outcomes[transfer_id] = "applied"
            left = amount
            for source in usable:
                taken = min(source.balance, left)
                if taken == 0:
                    break
                source.balance -= taken
                left -= taken
                part_id = f"{transfer_id}/{source.block_id}"
                self.blocks[part_id] = Block(part_id, receiver, transferred_on, source.expires_on, taken)
        for account, still_owed in sorted(owed.items()):
            usable = sorted((b for b in self.blocks.values()
                             if b.account == account and b.balance > 0 and b.usable_on(last_day(month))),
                            key=Block.drawdown_order)
            for block in usable:
                if still_owed <= 0:
                    break
                drawn = min(block.balance, still_owed)
                block.balance -= drawn
                still_owed -= drawn
                self.credit_lines.setdefault((account, month.isoformat()[:7]), []).append((block.block_id, -drawn))
        next_month = plus_months(month, 1)
        for block in self.blocks.values():
            if block.expires_on <= next_month:
                block.balance = 0
        decided = []
        for rule_id, account, package, quantity, threshold in top_up_rules:
            if sum(b.balance for b in self.blocks.values() if b.account == account) < threshold:
                purchase_id = f"{rule_id}/{next_month.isoformat()[:7]}"
                self.top_ups.append(purchase_id)
                decided.append((purchase_id, account, package, quantity, next_month))
        return decided


days = st.dates(min_value=dt.date(2024, 3, 1), max_value=dt.date(2025, 2, 28))
transfer_days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2025, 2, 28))


@st.composite
def hierarchy(draw, index: int):
    master, sub = f"M{index}", f"S{index}"
    purchases = [(f"h{index}-p{n}", draw(st.sampled_from([master, sub])), draw(st.sampled_from(sorted(PACKAGES))),
                  draw(st.integers(1, 2)), draw(days))
                 for n in range(draw(st.integers(0, 4)))]
    transfers = []
    for n in range(draw(st.integers(0, 3))):
        sender, receiver = draw(st.permutations([master, sub]))
        transfers.append((f"h{index}-t{n}", sender, receiver, draw(st.integers(1, 600000)), draw(transfer_days)))
    rules = [(f"h{index}-r", sub, "credits_1k_eur", 1, draw(st.integers(0, 300000)))] if draw(st.booleans()) else []
    usage = {(tenant, month): draw(st.integers(0, 400))
             for tenant in (f"tm{index}", f"ts{index}") for month in CLOSES}
    return purchases, transfers, rules, usage


@st.composite
def programmes(draw):
    return [draw(hierarchy(index)) for index in range(draw(st.integers(4, 8)))]


def write_programme(landing: Path, programme) -> None:
    partners, tenants, assignments = [], [], []
    purchases, transfers, rules, usage_rows = [], [], [], {month: [] for month in CLOSES}
    for index, (h_purchases, h_transfers, h_rules, usage) in enumerate(programme):
        partners += [[f"M{index}", f"Master {index}", "", "false", "eur", "DK", "", ""],
                     [f"S{index}", f"Sub {index}", f"M{index}", "false", "eur", "DK", "", ""]]
        for tenant, partner in ((f"tm{index}", f"M{index}"), (f"ts{index}", f"S{index}")):
            tenants.append([tenant, f"Tenant {tenant}", "eur"])
            assignments.append([tenant, partner, "2024-01-01", ""])
        purchases += [[p, "partner", account, package, str(q), day.isoformat()]
                      for p, account, package, q, day in h_purchases]
        transfers += [[t, sender, receiver, "EUR", f"{amount // 100}.{amount % 100:02d}", day.isoformat()]
                      for t, sender, receiver, amount, day in h_transfers]
        rules += [[r, "partner", account, package, str(q), f"{threshold / 100:.2f}"]
                  for r, account, package, q, threshold in h_rules]
        for (tenant, month), quantity in usage.items():
            if quantity:
                usage_rows[month].append([f"{tenant}-{month:%m}", tenant, "active_users", str(quantity),
                                          f"{month.isoformat()}T10:00:00Z"])
    write_csv(landing / "accounts/partners.csv",
              ["partner_id", "name", "parent_partner_id", "bills_via_parent", "currency", "country",
               "tier_floor", "stripe_customer_id"], partners)
    write_csv(landing / "accounts/tenants.csv", ["tenant_id", "name", "currency"], tenants)
    write_csv(landing / "accounts/assignments.csv", ["tenant_id", "partner_id", "valid_from", "valid_to"], assignments)
    write_csv(landing / "billing/credit_purchases.csv",
              ["purchase_id", "billing_account_type", "billing_account_id", "package", "quantity", "purchased_on"],
              purchases)
    write_csv(landing / "billing/credit_transfers.csv",
              ["transfer_id", "from_partner_id", "to_partner_id", "currency", "amount", "transferred_on"], transfers)
    write_csv(landing / "billing/credit_top_ups.csv",
              ["rule_id", "billing_account_type", "billing_account_id", "package", "quantity", "threshold"], rules)
    for month, rows in usage_rows.items():
        write_csv(landing / f"usage/{month.isoformat()}/u.csv", USAGE_HEADER, rows)


@settings(max_examples=2, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(programme=programmes())
def test_credit_blocks_transfers_drawdowns_and_top_ups_match_a_plain_fold_of_the_rules(
        programme, tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("credit_properties")
    write_programme(root / "landing", programme)
    clear_pipeline_environment(monkeypatch)
    monkeypatch.chdir(root)
    ledger = root / "l.duckdb"
    purchases = [p for h in programme for p in h[0]]
    transfers = [t for h in programme for t in h[1]]
    rules = [r for h in programme for r in h[2]]
    fold, pending = Fold(), []
    for month in CLOSES:
        period = month.isoformat()[:7]
        assert main(["run", "--through", period, "--landing", "landing", "--warehouse", "w.duckdb",
                     "--ledger", "l.duckdb", "--analytics", "a.duckdb", "--exports", "exports"]) == 0
        with duckdb.connect(str(ledger), read_only=True) as con:
            owed = dict(con.execute(f"""
                select billing_account_id, sum(amount_minor) from invoice_lines
                where invoice_period = ? and line_type in {OWED_LINE_TYPES} group by all""",
                                    [month]).fetchall())
        pending = fold.close(month, purchases, transfers, rules, owed, pending)

    with duckdb.connect(str(ledger), read_only=True) as con:
        blocks = {b for (b,) in con.execute("select block_id from credit_blocks").fetchall()}
        entry_balances = dict(con.execute(
            "select block_id, sum(amount_minor) from credit_entries group by all").fetchall())
        outcomes = dict(con.execute("select transfer_id, outcome from credit_transfers").fetchall())
        credit_lines = {}
        for account, period, reference, amount in con.execute("""
                select billing_account_id, strftime(invoice_period, '%Y-%m'), reference, amount_minor
                from invoice_lines where line_type = 'credit' order by line_key""").fetchall():
            credit_lines.setdefault((account, period), []).append((reference, amount))
        top_ups = sorted(r for (r,) in con.execute("select purchase_id from credit_top_ups").fetchall())

    expected = {b.block_id: b.balance for b in fold.blocks.values()}
    assert blocks == set(expected)
    assert entry_balances == expected
    assert outcomes == fold.transfer_outcomes
    assert {k: sorted(v) for k, v in credit_lines.items()} == {k: sorted(v) for k, v in fold.credit_lines.items()}
    assert top_ups == sorted(fold.top_ups)
