{{ config(tags=['post_close']) }}
{#- Monthly billable quantity and amount per billing account and metric, every
    month from its first through the close month (months without usage are 0),
    with the amount in EUR cents for comparisons across currencies: the series
    the forecast is fitted on. -#}
with lines as (
    select billing_account_type, billing_account_id, metric, currency, minor_unit_exponent,
           service_month, quantity, amount_minor
    from {{ ref('int_recomputed_lines') }}
    where service_month <= {{ close_month() }}
),

spans as (
    select billing_account_type, billing_account_id, metric, currency, any_value(minor_unit_exponent) as exponent,
           min(service_month) as first_month
    from lines group by all
),

spine as (
    select s.*, cast(m.month as date) as service_month
    from spans s
    cross join lateral (
        select unnest(generate_series(s.first_month, {{ close_month() }}, interval 1 month)) as month
    ) m
)

select
    s.billing_account_type, s.billing_account_id, s.metric, s.currency, s.service_month,
    coalesce(l.quantity, 0) as quantity,
    coalesce(l.amount_minor, 0) as amount_minor,
    {{ to_reporting_minor('coalesce(l.amount_minor, 0)', 's.exponent', 'fx.rate_to_reporting') }} as amount_eur_minor
from spine s
left join lines l using (billing_account_type, billing_account_id, metric, currency, service_month)
left join {{ ref('fx_rates') }} fx on fx.currency = s.currency and fx.month = {{ period_key('s.service_month') }}
