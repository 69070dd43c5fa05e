{#- Step 3 of the close of close_month() as credit ledger entries (SPEC
    §5.6, §5.9): a purchase entry per block a charged purchase creates (dated
    purchased_on), and per applied transfer a transfer_out per source block it
    drew from and a transfer_in per block it created (dated transferred_on).
    sequence orders them as the close applies them: date, purchases before
    transfers, the event's id, a transfer's out before its in, block id. -#}
with movements as (
    select p.purchase_id as source_id, 0 as event_order, p.purchased_on as entry_date,
           p.billing_account_type, p.billing_account_id, p.purchase_id as block_id, 'purchase' as entry_type,
           p.credit_minor as amount_minor, p.currency
    from {{ ref('int_credit_purchases_due') }} p
    union all
    select f.transfer_id, 1, t.transferred_on, 'partner', f.billing_account_id, f.block_id, 'transfer_out',
           -f.taken_minor, f.currency
    from {{ ref('int_credit_transfer_fold') }} f
    join {{ ref('int_credit_transfers_due') }} t on t.hierarchy = f.hierarchy and t.position = f.step
    where f.taken_minor > 0
    union all
    select f.transfer_id, 1, t.transferred_on, 'partner', f.billing_account_id, f.block_id, 'transfer_in',
           f.balance_minor, f.currency
    from {{ ref('int_credit_transfer_fold') }} f
    join {{ ref('int_credit_transfers_due') }} t on t.hierarchy = f.hierarchy and t.position = f.step
    where f.created
)

select
    m.*,
    cast(row_number() over (
        order by m.entry_date, m.event_order, m.source_id,
                 case m.entry_type when 'transfer_out' then 0 else 1 end, m.block_id) as integer) as sequence
from movements m
