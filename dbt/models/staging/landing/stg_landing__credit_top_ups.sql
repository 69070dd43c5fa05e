select
    rule_id,
    billing_account_type,
    billing_account_id,
    package,
    case when regexp_full_match(quantity, '[0-9]{1,9}') then cast(quantity as integer) end as quantity,
    quantity as quantity_text,
    {{ parse_plain_decimal('threshold') }} as threshold_value,
    threshold,
    source_row
from {{ source('landing', 'credit_top_ups') }}
