select
    entry_id,
    close_month,
    position,
    billing_account_type,
    billing_account_id,
    block_id,
    entry_type,
    amount_minor,
    currency,
    entry_date,
    source_id,
    recorded_at,
    run_id
from {{ source('ledger', 'credit_entries') }}
