select
    partner_id,
    metric,
    lower(currency) as currency,
    try_cast(wholesale_unit_price as decimal(38, 16)) as wholesale_unit_price,
    try_cast(effective_from as date) as effective_from,
    wholesale_unit_price as wholesale_unit_price_text,
    effective_from as effective_from_text,
    source_row
from {{ source('landing', 'partner_rate_cards') }}
