{#- Every credit block as the close of close_month() finds it before its
    transfers (SPEC §5.9): the ledger's blocks with their balance (the sum of
    their entries so far) and the blocks of the purchases charged at this
    close, at their full credit. -#}
with balances as (
    select block_id, sum(amount_minor) as balance_minor
    from {{ ref('stg_ledger__credit_entries') }}
    group by block_id
)

select
    b.block_id, b.billing_account_type, b.billing_account_id, b.currency, b.effective_on, b.expires_on,
    cast(coalesce(e.balance_minor, 0) as bigint) as balance_minor,
    false as is_new
from {{ ref('stg_ledger__credit_blocks') }} b
left join balances e using (block_id)
union all
select
    p.purchase_id, p.billing_account_type, p.billing_account_id, p.currency, p.purchased_on, p.expires_on,
    p.credit_minor,
    true
from {{ ref('int_credit_purchases_due') }} p
