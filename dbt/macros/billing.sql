{# Every rounding and minor-unit conversion of the project lives here. #}

{#- The month being closed: PARTNER_BILLING_CLOSE_MONTH ('YYYY-MM-01', set by
    Dagster from the month partition), else the month that ended most recently.
    Read only at execution, so a new month never invalidates dbt's partial parse. -#}
{% macro close_month() -%}
    {%- set month = env_var('PARTNER_BILLING_CLOSE_MONTH', '') if execute else '' -%}
    {%- if month -%}
        date '{{ month }}'
    {%- else -%}
        cast(date_trunc('month', current_date) - interval 1 month as date)
    {%- endif -%}
{%- endmacro %}

{# The close date of the month being closed: the first day of the next month. #}
{% macro close_date() -%}
    cast({{ close_month() }} + interval 1 month as date)
{%- endmacro %}

{# The daily-grain usage the close sees: landed by its close date, for days before it. #}
{% macro seen_at_close() -%}
    landing_date <= {{ close_date() }} and usage_date < {{ close_date() }}
{%- endmacro %}

{# 10^power as an exact DECIMAL(4 + scale, scale), for power from -scale to 3
   (minor-unit exponents are 0..3). The narrow type keeps products exact:
   each factor adds only `scale` to the scale of what it multiplies. #}
{% macro ten_to_the(power, scale=0) -%}
    (case {{ power }}{% for p in range(-scale, 4) %} when {{ p }} then {{ 10 ** p }}::decimal({{ 4 + scale }}, {{ scale }}){% endfor %} end)
{%- endmacro %}

{# quantity x unit price x 10^e, exact (no rounding): a DECIMAL with scale 22. #}
{% macro exact_minor(quantity, unit_price, exponent) -%}
    (cast({{ quantity }} as decimal(38, 6)) * cast({{ unit_price }} as decimal(38, 16)) * {{ ten_to_the(exponent) }})
{%- endmacro %}

{# ROUND_HALF_UP(quantity x unit price x 10^e), rounded once. DuckDB's round of a
   DECIMAL rounds half away from zero, which is half-up for these non-negative products. #}
{% macro amount_minor(quantity, unit_price, exponent) -%}
    cast(round({{ exact_minor(quantity, unit_price, exponent) }}) as bigint)
{%- endmacro %}

{# Wholesale = list x (1 - discount_pct/100), exact: multiplying by 0.01 keeps
   DECIMAL, where dividing would turn into DOUBLE. #}
{% macro discounted(list_price, discount_pct) -%}
    cast({{ list_price }} * (100 - {{ discount_pct }}) * 0.01 as decimal(38, 16))
{%- endmacro %}

{# A non-negative DECIMAL(.,6) divided by a positive integer, rounded half-up to
   6 decimals, in integer micro-units (DuckDB's DECIMAL / INTEGER is DOUBLE). #}
{% macro divide_half_up_6(numerator, divisor) -%}
    (cast((cast(round({{ numerator }} * 1000000) as hugeint) * 2 + {{ divisor }}) // (2 * {{ divisor }}) as decimal(38, 0)) * 0.000001::decimal(7, 6))
{%- endmacro %}

{# An amount in minor units of one currency converted into minor units of the
   reporting currency (EUR) at a rate, rounded half-up (half away from zero for refunds). #}
{% macro to_reporting_minor(amount_minor, exponent, rate, reporting_exponent=2) -%}
    cast(round(cast({{ amount_minor }} as decimal(38, 0)) * {{ rate }}
        * {{ ten_to_the(reporting_exponent ~ ' - ' ~ exponent, scale=1) }}) as bigint)
{%- endmacro %}

{% macro period_key(month_date) -%}
    strftime({{ month_date }}, '%Y-%m')
{%- endmacro %}

{# A `YYYY-MM` text as the month's first day; null when it is not exactly that. #}
{% macro parse_month(text) -%}
    (case when regexp_full_match({{ text }}, '[0-9]{4}-(0[1-9]|1[0-2])')
          then cast(strptime({{ text }} || '-01', '%Y-%m-%d') as date) end)
{%- endmacro %}

{# A plain decimal text (digits, an optional fraction of at most `scale` digits) as
   DECIMAL(precision, scale); null otherwise, so nothing is rounded on the way in. #}
{% macro parse_plain_decimal(text, precision=38, scale=16) -%}
    (case when regexp_full_match({{ text }}, '[0-9]{1,{{ precision - scale }}}(\.[0-9]{1,{{ scale }}})?')
          then cast({{ text }} as decimal({{ precision }}, {{ scale }})) end)
{%- endmacro %}

{# True when a plain decimal text has no more fraction digits than the currency's minor digits (trailing zeros aside). #}
{% macro exact_in_minor_digits(text, exponent) -%}
    (length(rtrim(coalesce(regexp_extract({{ text }}, '\.([0-9]+)$', 1), ''), '0')) <= {{ exponent }})
{%- endmacro %}

{# An amount in minor units as major units, exact: amount x 10^-e. #}
{% macro minor_to_major(amount_minor, exponent) -%}
    cast(cast({{ amount_minor }} as decimal(38, 0)) * {{ ten_to_the('-' ~ exponent, scale=3) }} as decimal(38, 16))
{%- endmacro %}

{# `months` calendar months after a date, on the same day or the month's last day where it has none; null months: null. #}
{% macro plus_months(day, months) -%}
    cast({{ day }} + to_months({{ months }}) as date)
{%- endmacro %}

{# A line's key (SPEC §5.3): account type, account id, invoice period, line type, metric or reference, adjusted period. #}
{% macro line_key(account_type, account_id, invoice_period, line_type, metric_or_reference, adjusts_period) -%}
    ({{ account_type }} || ':' || {{ account_id }} || ':' || {{ period_key(invoice_period) }} || ':' || {{ line_type }}
     || ':' || {{ metric_or_reference }} || ':' || coalesce({{ period_key(adjusts_period) }}, ''))
{%- endmacro %}
