{{ config(tags=['post_close']) }}
{#- Every prepaid credit block (SPEC §5.9, §6) with the amount it was created
    with and its balance as of the last close (the sum of its entries). -#}
with balances as (
    select block_id, sum(amount_minor) as balance_minor
    from {{ ref('stg_ledger__credit_entries') }}
    group by block_id
)

select
    b.block_id,
    b.billing_account_type,
    b.billing_account_id,
    b.currency,
    b.effective_on,
    b.expires_on,
    b.amount_minor,
    cast(coalesce(e.balance_minor, 0) as bigint) as balance_minor,
    c.minor_unit_exponent
from {{ ref('stg_ledger__credit_blocks') }} b
left join balances e using (block_id)
join {{ ref('currencies') }} c on c.currency = b.currency
