{#- Billable usage per tenant, service month and metric, with the partner and
    billing owner the month is attributed to. -#}
select
    u.tenant_id,
    u.service_month,
    u.metric,
    u.unit,
    u.aggregation,
    u.billable_quantity,
    u.partner_id,
    u.billing_account_type,
    u.billing_account_id,
    u.currency
from {{ ref('int_tenant_usage_monthly') }} u
