{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_credit_entries'}}}) }}
-- A returned row is a credit entry, emitted or proposed by the close, after
-- which its block's balance (the sum of its entries so far, in ledger order)
-- is below zero: credit drawn, moved or expired twice (SPEC §5.7, §5.9).
-- Blocks the close.
with entries as (
    select close_month, position, entry_id, block_id, amount_minor from {{ ref('stg_ledger__credit_entries') }}
    union all
    select close_month, position, entry_id, block_id, amount_minor from {{ ref('fct_proposed_credit_entries') }}
),

running as (
    select e.*, sum(amount_minor) over (
        partition by block_id order by close_month, position
        rows between unbounded preceding and current row) as balance_after_minor
    from entries e
)

select block_id, entry_id, amount_minor, balance_after_minor
from running
where balance_after_minor < 0
