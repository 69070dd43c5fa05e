{#- The credit_packages seed typed (SPEC §2, §5.9): credit and price in minor
    units per package, null where the text is not a plain decimal exact in the
    currency's minor digits, and validity in months (null: never expires).
    A row that cannot be used fails assert_billing_rows_are_valid. -#}
select
    p.package,
    lower(p.currency) as currency,
    c.minor_unit_exponent,
    p.credit_amount,
    p.price,
    p.validity_months as validity_months_text,
    case when {{ exact_in_minor_digits('p.credit_amount', 'c.minor_unit_exponent') }}
         then {{ parse_plain_decimal('p.credit_amount') }} end as credit_amount_value,
    case when {{ exact_in_minor_digits('p.price', 'c.minor_unit_exponent') }}
         then {{ parse_plain_decimal('p.price') }} end as price_value,
    case when regexp_full_match(p.validity_months, '[0-9]{1,4}') then cast(p.validity_months as integer) end
        as validity_months
from {{ ref('credit_packages') }} p
left join {{ ref('currencies') }} c on c.currency = lower(p.currency)
