{{ config(tags=['post_close']) }}
{#- The forecast method against a naive last-value forecast on held-back data:
    for every series with at least 6 months, the last 3 months up to the close
    month are held back, both methods forecast them from the months before, and
    WAPE = sum |actual - forecast| / sum |actual| is reported per series (quantity
    and EUR revenue) and overall (EUR revenue over every series). -#}
{% set holdout = 3 %}
with series as (
    select * from {{ ref('int_forecast_series') }}
),
eligible as (
    select billing_account_type, billing_account_id, metric, currency
    from series group by all having count(*) >= {{ holdout }} + 3
),
held as (
    select s.* from series s join eligible using (billing_account_type, billing_account_id, metric, currency)
),
f as ({{ damped_trend_forecast('held', 'cast(' ~ close_month() ~ ' - interval ' ~ holdout ~ ' month as date)', 'amount_eur_minor') }}),
errors as (
    select
        f.billing_account_type, f.billing_account_id, f.metric, f.method,
        abs(s.quantity) as q_actual, abs(s.quantity - f.forecast) as q_err_method, abs(s.quantity - f.naive) as q_err_naive,
        abs(s.amount_eur_minor) as r_actual, abs(s.amount_eur_minor - f.amount_forecast) as r_err_method,
        abs(s.amount_eur_minor - f.naive_amount) as r_err_naive
    from f
    join series s
        on s.billing_account_type = f.billing_account_type and s.billing_account_id = f.billing_account_id
        and s.metric = f.metric and s.currency = f.currency and s.service_month = f.forecast_month
),
per_series as (
    select billing_account_type, billing_account_id, metric, any_value(method) as method,
           sum(q_actual) as q_actual, sum(q_err_method) as q_err_method, sum(q_err_naive) as q_err_naive,
           sum(r_actual) as r_actual, sum(r_err_method) as r_err_method, sum(r_err_naive) as r_err_naive
    from errors group by all
),
overall as (
    select '(all)' as billing_account_type, '(all)' as billing_account_id, '(all)' as metric,
           'damped_trend_phi0.5_window6' as method,
           null as q_actual, null as q_err_method, null as q_err_naive,
           sum(r_actual) as r_actual, sum(r_err_method) as r_err_method, sum(r_err_naive) as r_err_naive
    from per_series
)

select
    billing_account_type,
    billing_account_id,
    metric,
    method,
    {{ holdout }} as months_held_back,
    cast(q_err_method / nullif(q_actual, 0) as decimal(18, 6)) as quantity_wape_method,
    cast(q_err_naive / nullif(q_actual, 0) as decimal(18, 6)) as quantity_wape_naive,
    cast(round(r_actual) as bigint) as revenue_actual_eur_minor,
    cast(r_err_method / nullif(r_actual, 0) as decimal(18, 6)) as revenue_wape_method,
    cast(r_err_naive / nullif(r_actual, 0) as decimal(18, 6)) as revenue_wape_naive
from (select * from per_series union all select * from overall)
