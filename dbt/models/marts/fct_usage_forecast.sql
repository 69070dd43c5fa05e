{{ config(tags=['post_close']) }}
{#- Billable quantity and revenue for the 3 months after the close month, per
    billing account and metric, with a 90 % prediction interval (method in
    `method`; see the damped_trend_forecast macro). Estimates, not billing. -#}
with series as (
    select * from {{ ref('int_forecast_series') }}
),
f as ({{ damped_trend_forecast('series', close_month(), 'amount_minor') }})

select
    billing_account_type,
    billing_account_id,
    metric,
    forecast_month,
    h as months_ahead,
    method,
    months_fitted,
    cast(forecast as decimal(38, 6)) as quantity_forecast,
    cast(greatest(0, forecast - half_width) as decimal(38, 6)) as quantity_lower,
    cast(forecast + half_width as decimal(38, 6)) as quantity_upper,
    currency,
    cast(round(amount_forecast) as bigint) as revenue_forecast_minor,
    cast(round(greatest(0, forecast - half_width) * price) as bigint) as revenue_lower_minor,
    cast(round((forecast + half_width) * price) as bigint) as revenue_upper_minor
from f
