{#- Per partner line of fct_proposed_invoice_lines, one row per tenant (SPEC
    §5.4). Usage line: the tenant's recomputed share. Adjustment line: the
    tenant's recomputed row minus everything emitted for it for that month, so
    rows still sum to the line. Rows that are zero throughout are left out.
    Every other line (commitments, and later credits) is one account-level row
    without tenant, unit or retail, carrying the line's amount, so a
    statement's wholesale amounts sum to its invoice total. -#}
with partner_lines as (
    select * from {{ ref('fct_proposed_invoice_lines') }}
    where billing_account_type = 'partner'
),

recomputed as (
    select * from {{ ref('int_recomputed_tenant_amounts') }}
    where billing_account_type = 'partner'
),

usage_rows as (
    select
        l.line_key, l.invoice_period, l.billing_account_id, l.invoice_period as service_period,
        l.line_type, l.metric, r.partner_id, r.tenant_id, r.quantity, l.currency, l.tier,
        r.list_unit_price, r.wholesale_unit_price, r.retail_unit_price,
        r.wholesale_amount_minor, r.retail_amount_minor
    from partner_lines l
    join recomputed r
        on r.billing_account_id = l.billing_account_id and r.service_month = l.invoice_period
        and r.metric = l.metric
    where l.line_type = 'usage'
),

adjustment_tenants as (
    select billing_account_id, service_month, metric, tenant_id from recomputed
    union
    select billing_account_id, service_month, metric, tenant_id from {{ ref('int_emitted_tenant_totals') }}
),

adjustment_rows as (
    select
        l.line_key, l.invoice_period, l.billing_account_id, l.adjusts_period as service_period,
        l.line_type, l.metric,
        coalesce(r.partner_id, e.partner_id) as partner_id,
        t.tenant_id,
        coalesce(r.quantity, 0) - coalesce(e.quantity, 0) as quantity,
        l.currency, l.tier,
        coalesce(r.list_unit_price, e.list_unit_price) as list_unit_price,
        l.unit_price as wholesale_unit_price,
        coalesce(r.retail_unit_price, e.retail_unit_price) as retail_unit_price,
        coalesce(r.wholesale_amount_minor, 0) - coalesce(e.wholesale_amount_minor, 0) as wholesale_amount_minor,
        coalesce(r.retail_amount_minor, 0) - coalesce(e.retail_amount_minor, 0) as retail_amount_minor
    from partner_lines l
    join adjustment_tenants t
        on t.billing_account_id = l.billing_account_id and t.service_month = l.adjusts_period
        and t.metric = l.metric
    left join recomputed r
        on r.billing_account_id = t.billing_account_id and r.service_month = t.service_month
        and r.metric = t.metric and r.tenant_id = t.tenant_id
    left join {{ ref('int_emitted_tenant_totals') }} e
        on e.billing_account_id = t.billing_account_id and e.service_month = t.service_month
        and e.metric = t.metric and e.tenant_id = t.tenant_id
    where l.line_type = 'adjustment'
),

account_rows as (
    select
        l.line_key, l.invoice_period, l.billing_account_id, coalesce(l.adjusts_period, l.invoice_period) as service_period,
        l.line_type, l.metric, l.billing_account_id as partner_id, cast(null as varchar) as tenant_id,
        l.quantity, l.currency, l.tier,
        cast(null as decimal(38, 16)) as list_unit_price,
        l.unit_price as wholesale_unit_price,
        cast(null as decimal(38, 16)) as retail_unit_price,
        l.amount_minor as wholesale_amount_minor,
        cast(null as bigint) as retail_amount_minor
    from partner_lines l
    where l.line_type not in ('usage', 'adjustment')
),

all_rows as (
    select * from usage_rows
    union all
    select * from adjustment_rows
    union all
    select * from account_rows
)

select
    line_key,
    invoice_period,
    billing_account_id,
    service_period,
    line_type,
    metric,
    partner_id,
    tenant_id,
    cast(quantity as decimal(38, 6)) as quantity,
    currency,
    tier,
    cast(list_unit_price as decimal(38, 16)) as list_unit_price,
    cast(wholesale_unit_price as decimal(38, 16)) as wholesale_unit_price,
    cast(retail_unit_price as decimal(38, 16)) as retail_unit_price,
    cast(wholesale_amount_minor as bigint) as wholesale_amount_minor,
    cast(retail_amount_minor as bigint) as retail_amount_minor,
    cast(retail_amount_minor - wholesale_amount_minor as bigint) as margin_amount_minor
from all_rows
where not (quantity = 0 and wholesale_amount_minor = 0 and retail_amount_minor = 0)
