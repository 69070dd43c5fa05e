{#- One value per service month standing for everything fct_usage_daily's rows of the
    month are built from: the daily-grain rows the close sees, each identified by its key
    and the ingest of its landing date (a re-ingest gives every row a new ingested_at), and
    the month's attribution. A month is rebuilt when its value changes. -#}
{% macro usage_daily_inputs() %}
    with usage as (
        select
            cast(date_trunc('month', usage_date) as date) as service_month,
            count(*) as input_rows,
            sum(cast(hash(tenant_id, metric, usage_date, landing_date, ingested_at) as hugeint)) as input_hash
        from {{ ref('int_usage_daily') }}
        where {{ seen_at_close() }}
        group by all
    ),

    attribution as (
        select
            service_month,
            count(*) as input_rows,
            sum(cast(hash(tenant_id, partner_id, billing_account_type, billing_account_id) as hugeint)) as input_hash
        from {{ ref('int_tenant_attribution') }}
        group by all
    )

    select
        u.service_month,
        md5(concat_ws('/', u.input_rows, u.input_hash, a.input_rows, a.input_hash)) as inputs_fingerprint
    from usage u
    left join attribution a on a.service_month = u.service_month
{% endmacro %}
