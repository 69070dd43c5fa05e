{#- Models incremental by service month (fct_usage_daily, int_usage_monthly): a build
    deletes every month built from other inputs, or with no input any more (pre-hook,
    delete_months_built_from_other_inputs), then builds the months then missing
    (months_to_build). `inputs` is a query giving service_month and inputs_fingerprint,
    one value per month standing for everything the model's rows of the month are built
    from; a month is rebuilt when its value changes. So a close costs what changed, not
    the ~20M daily-grain rows of a year at 100M events. -#}

{#- A table built before it had fingerprints is emptied and built again in full; the
    model's on_schema_change='append_new_columns' adds the column, so this happens once. -#}
{% macro delete_months_built_from_other_inputs(inputs) %}
    {%- if is_incremental() -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    delete from {{ this }} t
    {%- if 'inputs_fingerprint' in columns %} where not exists (
        select 1 from ({{ inputs }}) i
        where i.service_month = t.service_month and i.inputs_fingerprint = t.inputs_fingerprint
    )
    {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro months_to_build(inputs) %}
    select service_month, inputs_fingerprint
    from ({{ inputs }}) i
    {%- if is_incremental() %}
    where not exists (select 1 from {{ this }} t where t.service_month = i.service_month)
    {%- endif %}
{% endmacro %}

{#- The daily-grain rows the close sees, per service month: which landing dates, which
    ingest of each, and how many rows each gave. A landing date's rows change only by a
    re-ingest, which gives them a new ingested_at, and seen_at_close() leaves out whole
    months only (usage_date < the close date, the first of a month), so this stands for
    the rows themselves; hashing every row's key cost twice as much. -#}
{% macro usage_seen_by_month() %}
    select service_month, md5(string_agg(concat_ws('/', landing_date, ingested_at, input_rows), ','
                                         order by landing_date)) as usage_digest
    from (
        select cast(date_trunc('month', usage_date) as date) as service_month, landing_date, ingested_at,
               count(*) as input_rows
        from {{ ref('int_usage_daily') }}
        where {{ seen_at_close() }}
        group by all
    )
    group by service_month
{% endmacro %}

{#- fct_usage_daily's inputs: the usage and the month's attribution. -#}
{% macro usage_daily_inputs() %}
    with attribution as (
        select
            service_month,
            count(*) as input_rows,
            sum(cast(hash(tenant_id, partner_id, billing_account_type, billing_account_id) as hugeint)) as input_hash
        from {{ ref('int_tenant_attribution') }}
        group by all
    )

    select u.service_month, md5(concat_ws('/', u.usage_digest, a.input_rows, a.input_hash)) as inputs_fingerprint
    from ({{ usage_seen_by_month() }}) u
    left join attribution a on a.service_month = u.service_month
{% endmacro %}

{#- int_usage_monthly's inputs: the usage and how each metric is aggregated. -#}
{% macro usage_monthly_inputs() %}
    select u.service_month, md5(concat_ws('/', u.usage_digest, m.metrics_digest)) as inputs_fingerprint
    from ({{ usage_seen_by_month() }}) u
    cross join (
        select string_agg(concat_ws('/', metric, aggregation, unit), ',' order by metric) as metrics_digest
        from {{ ref('int_metrics') }}
    ) m
{% endmacro %}
