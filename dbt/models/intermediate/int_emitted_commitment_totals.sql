{#- What has been emitted so far for each account's commitment month: its
    commitment line plus every commitment_adjustment of that month. -#}
select
    billing_account_type,
    billing_account_id,
    service_period as service_month,
    currency,
    sum(amount_minor) as amount_minor,
    arg_max(reference, emitted_at) as last_reference
from {{ ref('stg_ledger__invoice_lines') }}
where line_type in ('commitment', 'commitment_adjustment')
group by billing_account_type, billing_account_id, service_period, currency
