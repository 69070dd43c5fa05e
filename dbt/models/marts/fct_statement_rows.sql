{{ config(tags=['post_close']) }}
{#- Emitted partner statement rows with the names in force at the close of
    their invoice period (from that close's snapshot): what partner exports show. -#}
select
    s.line_key,
    s.invoice_period,
    s.billing_account_id,
    s.service_period,
    s.line_type,
    case when s.line_type in ('adjustment', 'commitment_adjustment', 'credit_note') then s.service_period end
        as adjusts_period,
    s.metric,
    m.unit,
    s.partner_id,
    p.name as partner_name,
    s.tenant_id,
    t.name as tenant_name,
    t.external_ref as tenant_external_ref,
    s.quantity,
    s.currency,
    c.minor_unit_exponent,
    s.tier,
    s.list_unit_price,
    s.wholesale_unit_price,
    s.retail_unit_price,
    s.wholesale_amount_minor,
    s.retail_amount_minor,
    s.margin_amount_minor,
    s.emitted_at,
    s.run_id
from {{ ref('stg_ledger__statement_rows') }} s
left join {{ ref('int_metrics') }} m on m.metric = s.metric
left join {{ ref('currencies') }} c on c.currency = s.currency
left join {{ ref('stg_ledger__partner_snapshots') }} p
    on p.close_month = s.invoice_period and p.partner_id = s.partner_id
left join {{ ref('stg_ledger__tenant_snapshots') }} t
    on t.close_month = s.invoice_period and t.tenant_id = s.tenant_id
