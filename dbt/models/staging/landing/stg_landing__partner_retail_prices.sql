select
    partner_id,
    metric,
    lower(currency) as currency,
    try_cast(retail_unit_price as decimal(38, 16)) as retail_unit_price,
    try_cast(effective_from as date) as effective_from,
    retail_unit_price as retail_unit_price_text,
    effective_from as effective_from_text,
    source_row
from {{ source('landing', 'partner_retail_prices') }}
