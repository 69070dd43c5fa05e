select
    k.commitment_id,
    k.billing_account_type,
    k.billing_account_id,
    lower(k.currency) as currency,
    {{ parse_plain_decimal('k.monthly_minimum') }} as monthly_minimum,
    case when {{ exact_in_minor_digits('k.monthly_minimum', 'c.minor_unit_exponent') }}
         then {{ amount_minor(parse_plain_decimal('k.monthly_minimum'), 1, 'c.minor_unit_exponent') }}
    end as minimum_minor,
    {{ parse_month('k.valid_from') }} as valid_from,
    {{ parse_month('k.valid_to') }} as valid_to,
    k.monthly_minimum as monthly_minimum_text,
    k.valid_from as valid_from_text,
    k.valid_to as valid_to_text,
    k.source_row
from {{ source('landing', 'commitments') }} k
left join {{ ref('currencies') }} c on c.currency = lower(k.currency)
