{# Primary-key test over one or more columns: a returned row is a key value
   that appears more than once, or a key with a null part. #}
{% test unique_key(model, columns) %}
    {{ duplicate_keys(model, columns) }}
{% endtest %}

{# The same over the rows of the landing dates a run can have added or
   replaced: those of the last `recheck_landing_days` days, and with
   `after_last_close` only those no close has billed yet. Used on the
   append-only usage grains, so the test's cost follows the new data, not the
   history; as a semi-join on the dates, the range prunes the scan. #}
{% test unique_key_recently_landed(model, columns, landing_column, after_last_close=false) %}
    {%- set partitions = source('landing', 'usage_partitions') -%}
    {%- set window_start -%}
        (select max(landing_date) - interval {{ var('recheck_landing_days') }} day from {{ partitions }})
    {%- endset -%}
    {%- set recent -%}
        (select * from {{ model }} where
        {%- if after_last_close %}
            {{ landing_column }} in (
                select landing_date from {{ partitions }}
                where landing_date >= {{ window_start }}
                  and landing_date > (select coalesce(max(close_month) + interval 1 month, date '0001-01-01')
                                      from {{ source('ledger', 'closes') }}))
        {%- else %}
            {{ landing_column }} >= {{ window_start }}
        {%- endif %}
        ) as recently_landed
    {%- endset -%}
    {{ duplicate_keys(recent, columns) }}
{% endtest %}

{% macro duplicate_keys(relation, columns) %}
    select {{ columns | join(', ') }}, count(*) as n
    from {{ relation }}
    group by {{ columns | join(', ') }}
    having count(*) > 1 or {% for c in columns %}{{ c }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endmacro %}
