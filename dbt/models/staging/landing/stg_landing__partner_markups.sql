select
    partner_id,
    metric,
    {{ parse_plain_decimal('markup_pct', 18, 6) }} as markup_pct,
    try_cast(effective_from as date) as effective_from,
    markup_pct as markup_pct_text,
    effective_from as effective_from_text,
    source_row
from {{ source('landing', 'partner_markups') }}
