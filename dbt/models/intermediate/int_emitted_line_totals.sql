{#- What has been emitted so far for each billing account, service month and
    metric: usage lines plus every adjustment of that month. -#}
select
    billing_account_type,
    billing_account_id,
    service_period as service_month,
    metric,
    currency,
    sum(quantity) as quantity,
    sum(amount_minor) as amount_minor,
    arg_max(unit_price, emitted_at) as last_unit_price,
    arg_max(tier, emitted_at) as last_tier
from {{ ref('stg_ledger__invoice_lines') }}
where line_type in ('usage', 'adjustment')
group by billing_account_type, billing_account_id, service_period, metric, currency
