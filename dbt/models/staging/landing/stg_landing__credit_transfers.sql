select
    transfer_id,
    from_partner_id,
    to_partner_id,
    lower(currency) as currency,
    {{ parse_plain_decimal('amount') }} as amount_value,
    amount,
    try_cast(transferred_on as date) as transferred_on,
    transferred_on as transferred_on_text,
    source_row
from {{ source('landing', 'credit_transfers') }}
