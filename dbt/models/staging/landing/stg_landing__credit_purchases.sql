select
    purchase_id,
    billing_account_type,
    billing_account_id,
    package,
    case when regexp_full_match(quantity, '[0-9]{1,9}') then cast(quantity as integer) end as quantity,
    quantity as quantity_text,
    try_cast(purchased_on as date) as purchased_on,
    purchased_on as purchased_on_text,
    source_row
from {{ source('landing', 'credit_purchases') }}
