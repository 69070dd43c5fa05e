select
    promotion_id,
    billing_account_type,
    billing_account_id,
    metric,
    {{ parse_plain_decimal('percent_off', 9, 6) }} as percent_off,
    {{ parse_month('valid_from') }} as valid_from,
    {{ parse_month('valid_to') }} as valid_to,
    percent_off as percent_off_text,
    valid_from as valid_from_text,
    valid_to as valid_to_text,
    source_row
from {{ source('landing', 'promotions') }}
