select
    credit_note_id,
    close_month,
    line_key,
    amount,
    reason,
    issued_on,
    memo,
    outcome,
    reject_reason,
    amount_minor,
    credit_line_key,
    processed_at,
    run_id
from {{ source('ledger', 'credit_notes') }}
