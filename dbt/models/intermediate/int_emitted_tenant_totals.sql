{#- What has been emitted so far per tenant of a partner line (statement rows;
    account-level rows of lines without a metric have no tenant). -#}
select
    billing_account_id,
    service_period as service_month,
    metric,
    tenant_id,
    arg_max(partner_id, emitted_at) as partner_id,
    sum(quantity) as quantity,
    sum(wholesale_amount_minor) as wholesale_amount_minor,
    sum(retail_amount_minor) as retail_amount_minor,
    arg_max(list_unit_price, emitted_at) as list_unit_price,
    arg_max(retail_unit_price, emitted_at) as retail_unit_price
from {{ ref('stg_ledger__statement_rows') }}
where tenant_id is not null
group by billing_account_id, service_period, metric, tenant_id
