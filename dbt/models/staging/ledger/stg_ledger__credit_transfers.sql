select
    transfer_id,
    close_month,
    from_partner_id,
    to_partner_id,
    currency,
    amount,
    transferred_on,
    outcome,
    reject_reason,
    amount_minor,
    processed_at,
    run_id
from {{ source('ledger', 'credit_transfers') }}
