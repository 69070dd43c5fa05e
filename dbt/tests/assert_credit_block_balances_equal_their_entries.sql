{{ config(meta={'dagster': {'ref': {'name': 'fct_proposed_credit_entries'}}}) }}
-- A returned row is a credit block, emitted or proposed by the close, whose
-- entries do not account for it (SPEC §5.7, §5.9): no creating entry (a
-- purchase or transfer_in) of its amount, or more than one, an entry for a
-- block that does not exist, or, for a block the close's transfers touched,
-- a balance after the transfers (the fold's own state) other than the sum of
-- its entries. Blocks the close.
with blocks as (
    select block_id, amount_minor from {{ ref('stg_ledger__credit_blocks') }}
    union all
    select block_id, amount_minor from {{ ref('fct_proposed_credit_blocks') }}
),

entries as (
    select block_id, entry_type, amount_minor, 0 as step from {{ ref('stg_ledger__credit_entries') }}
    union all
    select block_id, entry_type, amount_minor, case when entry_type in ('drawdown', 'expiry') then 2 else 1 end
    from {{ ref('fct_proposed_credit_entries') }}
),

by_block as (
    select block_id,
           count(*) filter (where entry_type in ('purchase', 'transfer_in')) as creating_entries,
           sum(amount_minor) filter (where entry_type in ('purchase', 'transfer_in')) as created_minor,
           sum(amount_minor) filter (where step < 2) as after_transfers_minor
    from entries
    group by block_id
),

fold_state as (
    select f.block_id, f.balance_minor
    from {{ ref('int_credit_transfer_fold') }} f
    join (select hierarchy, max(step) as step from {{ ref('int_credit_transfer_fold') }} group by hierarchy) l
        using (hierarchy, step)
    where f.block_id is not null
)

select coalesce(b.block_id, e.block_id) as block_id, b.amount_minor, e.creating_entries, e.created_minor,
       e.after_transfers_minor, f.balance_minor as fold_balance_minor
from blocks b
full outer join by_block e using (block_id)
left join fold_state f on f.block_id = coalesce(b.block_id, e.block_id)
where b.block_id is null
   or e.block_id is null
   or e.creating_entries <> 1
   or e.created_minor <> b.amount_minor
   or f.balance_minor <> e.after_transfers_minor
