{{ config(tags=['post_close']) }}
{#- The credit ledger (SPEC §5.9, §6): every entry the closes appended, in
    order, with the account's balance after it (the sum of the account's
    entries up to and including it). -#}
select
    entry_id,
    billing_account_type,
    billing_account_id,
    block_id,
    entry_type,
    amount_minor,
    currency,
    entry_date,
    close_month,
    run_id,
    cast(sum(amount_minor) over (
        partition by billing_account_type, billing_account_id
        order by close_month, position
        rows between unbounded preceding and current row) as bigint) as balance_after_minor
from {{ ref('stg_ledger__credit_entries') }}
