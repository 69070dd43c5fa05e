select
    purchase_id,
    close_month,
    origin,
    billing_account_type,
    billing_account_id,
    package,
    quantity,
    purchased_on,
    currency,
    credit_minor,
    price_minor,
    line_key,
    processed_at,
    run_id
from {{ source('ledger', 'credit_purchases') }}
