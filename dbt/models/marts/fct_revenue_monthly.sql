{{ config(tags=['post_close']) }}
{#- Revenue by service month, tenant, partner, billing owner, tier and metric
    (SPEC §5.5): int_revenue_monthly as analysts read it. -#}
select * from {{ ref('int_revenue_monthly') }}
