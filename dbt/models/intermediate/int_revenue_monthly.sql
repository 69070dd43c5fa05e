{{ config(tags=['post_close']) }}
{#- Revenue by service month, tenant, partner, billing owner, tier and metric
    (SPEC §5.5), for the revenue mart and the tenant activity behind churn. list / wholesale / retail: the month recomputed in full today.
    platform_revenue: what was emitted for the month (usage lines plus every
    adjustment of it), so it reconciles to fct_invoice_lines to the minor unit.
    unbilled: recomputed minus emitted, billed at the next close. Commitment
    true-ups are account-level rows (no metric; no tenant for a partner) with
    no list or retail amount; credit notes, never recomputed, count as emitted
    on both sides, in the credited month and metric (no tenant for a
    partner). Each amount also in EUR at the month's fx rate, row by row,
    rounded half-up. -#}
with recomputed_parts as (
    select
        service_month, billing_account_type, billing_account_id, tenant_id, metric,
        partner_id, tier, currency, quantity,
        list_amount_minor,
        wholesale_amount_minor,
        retail_amount_minor
    from {{ ref('int_recomputed_tenant_amounts') }}
    union all
    select
        service_month, billing_account_type, billing_account_id,
        case when billing_account_type = 'tenant' then billing_account_id end as tenant_id,
        cast(null as varchar) as metric,
        case when billing_account_type = 'partner' then billing_account_id end as partner_id,
        cast(null as varchar) as tier, currency, cast(0 as decimal(38, 6)) as quantity,
        cast(null as bigint) as list_amount_minor,
        true_up_minor as wholesale_amount_minor,
        cast(null as bigint) as retail_amount_minor
    from {{ ref('int_commitment_true_ups') }}
    union all
    select
        service_period, billing_account_type, billing_account_id,
        case when billing_account_type = 'tenant' then billing_account_id end,
        metric,
        case when billing_account_type = 'partner' then billing_account_id end,
        cast(null as varchar), currency, cast(0 as decimal(38, 6)),
        cast(null as bigint), amount_minor, cast(null as bigint)
    from {{ ref('stg_ledger__invoice_lines') }}
    where line_type = 'credit_note'
),

-- A direct tenant's credit note shares the row of the metric it credits.
recomputed as (
    select service_month, billing_account_type, billing_account_id, tenant_id, metric,
           max(partner_id) as partner_id, max(tier) as tier, any_value(currency) as currency,
           sum(quantity) as quantity, sum(list_amount_minor) as list_amount_minor,
           sum(wholesale_amount_minor) as wholesale_amount_minor, sum(retail_amount_minor) as retail_amount_minor
    from recomputed_parts
    group by service_month, billing_account_type, billing_account_id, tenant_id, metric
),

emitted_partner as (
    select service_period as service_month, 'partner' as billing_account_type, billing_account_id,
           tenant_id, metric, arg_max(partner_id, emitted_at) as partner_id,
           arg_max(tier, emitted_at) as tier, any_value(currency) as currency,
           sum(wholesale_amount_minor) as platform_revenue_minor
    from {{ ref('stg_ledger__statement_rows') }}
    where line_type in ('usage', 'adjustment', 'commitment', 'commitment_adjustment', 'credit_note')
    group by all
),

emitted_direct as (
    select service_period as service_month, 'tenant' as billing_account_type, billing_account_id,
           billing_account_id as tenant_id, metric, cast(null as varchar) as partner_id,
           cast(null as varchar) as tier, any_value(currency) as currency,
           sum(amount_minor) as platform_revenue_minor
    from {{ ref('stg_ledger__invoice_lines') }}
    where billing_account_type = 'tenant'
      and line_type in ('usage', 'adjustment', 'commitment', 'commitment_adjustment', 'credit_note')
    group by all
),

emitted as (
    select * from emitted_partner
    union all
    select * from emitted_direct
),

joined as (
    select
        coalesce(r.service_month, e.service_month) as service_month,
        coalesce(r.billing_account_type, e.billing_account_type) as billing_account_type,
        coalesce(r.billing_account_id, e.billing_account_id) as billing_account_id,
        coalesce(r.tenant_id, e.tenant_id) as tenant_id,
        coalesce(r.metric, e.metric) as metric,
        coalesce(r.partner_id, e.partner_id) as partner_id,
        coalesce(r.tier, e.tier) as tier,
        coalesce(r.currency, e.currency) as currency,
        coalesce(r.quantity, 0) as quantity,
        case when coalesce(r.metric, e.metric) is not null then coalesce(r.list_amount_minor, 0) end
            as list_amount_minor,
        coalesce(r.wholesale_amount_minor, 0) as wholesale_amount_minor,
        case when coalesce(r.metric, e.metric) is not null then coalesce(r.retail_amount_minor, 0) end
            as retail_amount_minor,
        coalesce(e.platform_revenue_minor, 0) as platform_revenue_minor
    from recomputed r
    full outer join emitted e
        on e.service_month = r.service_month
        and e.billing_account_type = r.billing_account_type
        and e.billing_account_id = r.billing_account_id
        and e.tenant_id is not distinct from r.tenant_id
        and e.metric is not distinct from r.metric
),

amounts as (
    select
        j.*,
        j.wholesale_amount_minor - j.platform_revenue_minor as unbilled_minor,
        case when j.billing_account_type = 'partner'
             then j.retail_amount_minor - j.wholesale_amount_minor end as partner_margin_minor,
        c.minor_unit_exponent,
        fx.rate_to_reporting
    from joined j
    left join {{ ref('currencies') }} c on c.currency = j.currency
    left join {{ ref('fx_rates') }} fx
        on fx.currency = j.currency and fx.month = {{ period_key('j.service_month') }}
)

select
    service_month,
    billing_account_type,
    billing_account_id,
    tenant_id,
    metric,
    partner_id,
    tier,
    currency,
    minor_unit_exponent,
    cast(quantity as decimal(38, 6)) as quantity,
    cast(list_amount_minor as bigint) as list_amount_minor,
    cast(wholesale_amount_minor as bigint) as wholesale_amount_minor,
    cast(retail_amount_minor as bigint) as retail_amount_minor,
    cast(platform_revenue_minor as bigint) as platform_revenue_minor,
    cast(unbilled_minor as bigint) as unbilled_minor,
    cast(partner_margin_minor as bigint) as partner_margin_minor,
    rate_to_reporting,
    {{ to_reporting_minor('list_amount_minor', 'minor_unit_exponent', 'rate_to_reporting') }} as list_amount_eur_minor,
    {{ to_reporting_minor('wholesale_amount_minor', 'minor_unit_exponent', 'rate_to_reporting') }} as wholesale_amount_eur_minor,
    {{ to_reporting_minor('retail_amount_minor', 'minor_unit_exponent', 'rate_to_reporting') }} as retail_amount_eur_minor,
    {{ to_reporting_minor('platform_revenue_minor', 'minor_unit_exponent', 'rate_to_reporting') }} as platform_revenue_eur_minor,
    {{ to_reporting_minor('unbilled_minor', 'minor_unit_exponent', 'rate_to_reporting') }} as unbilled_eur_minor,
    {{ to_reporting_minor('partner_margin_minor', 'minor_unit_exponent', 'rate_to_reporting') }} as partner_margin_eur_minor
from amounts
