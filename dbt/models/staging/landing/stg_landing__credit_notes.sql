select
    credit_note_id,
    line_key,
    amount,
    {{ parse_plain_decimal('amount') }} as amount_value,
    reason,
    try_cast(issued_on as date) as issued_on,
    issued_on as issued_on_text,
    memo,
    source_row
from {{ source('landing', 'credit_notes') }}
