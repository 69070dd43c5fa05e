{#- Damped linear trend on quantity, fitted per series by least squares over
    the last `window` months up to `training_end`. Level = the fitted value at
    the last month; h months ahead adds the slope damped by phi each month:
    level + slope * (phi + ... + phi^h), floored at 0. A 90 % interval is
    +/- 1.645 x the residual standard deviation x sqrt(h). Fewer than 3 months:
    the last value. Revenue = forecast quantity x the last month's unit price
    (amount / quantity), so a tier or price change moves the level, not the trend.
    `series` has the key columns, service_month, quantity and `amount_column`.
    Parameters (window 6, phi 0.5) were chosen on the sample's backtest; see
    docs/decisions.md. Forecasts are estimates: floating point is used here. -#}
{% macro damped_trend_forecast(series, training_end, amount_column, horizon=3, phi=0.5, window=6) %}
    with train as (
        select *, datediff('month', date '2000-01-01', service_month) as t,
               cast(quantity as double) as q, cast({{ amount_column }} as double) as amount
        from {{ series }}
        where service_month <= {{ training_end }}
          and service_month > cast({{ training_end }} - interval {{ window }} month as date)
    ),
    fit as (
        select billing_account_type, billing_account_id, metric, currency,
               regr_slope(q, t) as slope, regr_intercept(q, t) as intercept,
               max(t) as t_last, count(*) as n, arg_max(q, t) as last_quantity, arg_max(amount, t) as last_amount,
               arg_max(amount / q, t) filter (where q > 0) as last_price
        from train
        group by all
    ),
    spread as (
        select f.billing_account_type, f.billing_account_id, f.metric, f.currency,
               coalesce(stddev_samp(tr.q - (f.intercept + f.slope * tr.t)), 0) as sd
        from fit f
        join train tr using (billing_account_type, billing_account_id, metric, currency)
        group by all
    ),
    steps as (select unnest(range(1, {{ horizon }} + 1)) as h),
    forecasts as (
        select
            f.billing_account_type, f.billing_account_id, f.metric, f.currency, s.h,
            cast({{ training_end }} + to_months(s.h) as date) as forecast_month,
            case when f.n >= 3 then 'damped_trend_phi{{ phi }}_window{{ window }}' else 'last_value' end as method,
            f.n as months_fitted,
            greatest(0, case when f.n >= 3
                then f.intercept + f.slope * f.t_last + f.slope * {{ phi }} * (1 - pow({{ phi }}, s.h)) / (1 - {{ phi }})
                else f.last_quantity end) as forecast,
            1.645 * sp.sd * sqrt(s.h) as half_width,
            f.last_quantity as naive,
            coalesce(f.last_price, 0) as price,
            f.last_amount as naive_amount
        from fit f
        join spread sp using (billing_account_type, billing_account_id, metric, currency)
        cross join steps s
    )
    select *, forecast * price as amount_forecast from forecasts
{% endmacro %}
