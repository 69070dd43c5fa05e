select
    purchase_id,
    rule_id,
    close_month,
    billing_account_type,
    billing_account_id,
    package,
    quantity,
    purchased_on,
    balance_minor,
    threshold_minor,
    decided_at,
    run_id
from {{ source('ledger', 'credit_top_ups') }}
