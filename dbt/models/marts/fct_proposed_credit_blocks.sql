{#- The credit blocks the close of close_month() creates (SPEC §5.9): one per
    purchase it charges (id = purchase_id) and one per part of an applied
    transfer (id `<transfer_id>/<source block id>`), with the amount it was
    created with. Empty once the month is closed. Copied into the ledger. -#}
select
    p.purchase_id as block_id,
    p.billing_account_type,
    p.billing_account_id,
    p.currency,
    p.purchased_on as effective_on,
    p.expires_on,
    p.credit_minor as amount_minor,
    'purchase' as origin,
    {{ close_month() }} as close_month
from {{ ref('int_credit_purchases_due') }} p
union all
select
    f.block_id,
    'partner',
    f.billing_account_id,
    f.currency,
    f.effective_on,
    f.expires_on,
    f.balance_minor,
    'transfer',
    {{ close_month() }}
from {{ ref('int_credit_transfer_fold') }} f
where f.created
