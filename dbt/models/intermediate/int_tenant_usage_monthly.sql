{#- Each tenant's billable quantity per service month and metric with the
    billing account it belongs to that month. -#}
select
    u.tenant_id,
    u.service_month,
    u.metric,
    u.unit,
    u.aggregation,
    u.billable_quantity,
    a.partner_id,
    a.billing_account_type,
    a.billing_account_id,
    a.currency
from {{ ref('int_usage_monthly') }} u
join {{ ref('int_tenant_attribution') }} a using (tenant_id, service_month)
where u.service_month <= {{ close_month() }}
