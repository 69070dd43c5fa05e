select
    block_id,
    billing_account_type,
    billing_account_id,
    currency,
    effective_on,
    expires_on,
    amount_minor,
    origin,
    close_month,
    created_at,
    run_id
from {{ source('ledger', 'credit_blocks') }}
