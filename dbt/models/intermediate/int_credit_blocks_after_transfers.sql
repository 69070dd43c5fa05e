{#- Every credit block after step 3 of the close of close_month() (SPEC
    §5.9): the blocks found before its transfers and the blocks its transfers
    created, each with its balance once the transfers' entries are applied. -#}
with transfers as (
    select block_id, sum(amount_minor) as amount_minor
    from {{ ref('int_credit_movements') }}
    where entry_type in ('transfer_out', 'transfer_in')
    group by block_id
),

created as (
    select f.block_id, 'partner' as billing_account_type, f.billing_account_id, f.currency, f.effective_on,
           f.expires_on, cast(0 as bigint) as balance_minor, true as is_new
    from {{ ref('int_credit_transfer_fold') }} f
    where f.created
),

blocks as (
    select * from {{ ref('int_credit_blocks_before_transfers') }}
    union all
    select * from created
)

select
    b.block_id, b.billing_account_type, b.billing_account_id, b.currency, b.effective_on, b.expires_on,
    cast(b.balance_minor + coalesce(t.amount_minor, 0) as bigint) as balance_minor,
    b.is_new
from blocks b
left join transfers t using (block_id)
