{#- The true-up of every commitment month recomputed today (SPEC §5.8):
    minimum = ROUND_HALF_UP(monthly_minimum x 10^e), usage total = the sum of
    the month's recomputed usage line amounts (after promotions), true-up =
    max(0, minimum - usage total). A month with no usage has a usage total of 0. -#}
with usage_totals as (
    select billing_account_type, billing_account_id, service_month, sum(amount_minor) as usage_minor
    from {{ ref('int_recomputed_lines') }}
    group by all
)

select
    m.commitment_id,
    m.billing_account_type,
    m.billing_account_id,
    m.service_month,
    m.currency,
    c.minor_unit_exponent,
    m.minimum_minor,
    cast(coalesce(u.usage_minor, 0) as bigint) as usage_minor,
    cast(greatest(0, m.minimum_minor - coalesce(u.usage_minor, 0)) as bigint) as true_up_minor
from {{ ref('int_commitment_months') }} m
left join usage_totals u
    on u.billing_account_type = m.billing_account_type and u.billing_account_id = m.billing_account_id
    and u.service_month = m.service_month
left join {{ ref('currencies') }} c on c.currency = m.currency
