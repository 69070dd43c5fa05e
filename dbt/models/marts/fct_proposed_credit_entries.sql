{#- The credit ledger entries the close of close_month() appends (SPEC §5.9),
    in the order of its steps (§5.6): purchases and transfers (in date order,
    purchases before transfers on a date, then by id), then drawdowns (dated
    the month's last day) and expiries (the same), each by block id. Signed:
    negative for transfer_out, drawdown and expiry. Empty once the month is
    closed. Copied as is into the ledger with the close's lines. -#}
with entries as (
    select 1 as step, sequence, entry_date, billing_account_type, billing_account_id, block_id, entry_type,
           amount_minor, currency, source_id
    from {{ ref('int_credit_movements') }}
    union all
    select 2, 0, last_day({{ close_month() }}), billing_account_type, billing_account_id, block_id, 'drawdown',
           -drawn_minor, currency, block_id
    from {{ ref('int_credit_drawdowns') }}
    union all
    select 3, 0, last_day({{ close_month() }}), billing_account_type, billing_account_id, block_id, 'expiry',
           -expired_minor, currency, block_id
    from {{ ref('int_credit_expiries') }}
),

ordered as (
    select e.*, cast(row_number() over (order by step, sequence, entry_date, block_id) as integer) as position
    from entries e
)

select
    {{ period_key(close_month()) }} || '-' || lpad(cast(position as varchar), 7, '0') as entry_id,
    {{ close_month() }} as close_month,
    position,
    billing_account_type,
    billing_account_id,
    block_id,
    entry_type,
    cast(amount_minor as bigint) as amount_minor,
    currency,
    cast(entry_date as date) as entry_date,
    source_id
from ordered
