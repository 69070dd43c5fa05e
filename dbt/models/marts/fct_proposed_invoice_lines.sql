{#- The lines the close of close_month() would emit (SPEC §5.3, §5.6): the
    month's usage lines, and for every earlier month an adjustment per billing
    account and metric whose recomputed amount differs from what was emitted
    for it so far. Empty once the month is closed. Checked, then copied as is
    into the ledger by the emission step. -#}
with close_state as (
    select is_closed from {{ ref('int_service_months') }} where is_close_month
),

recomputed as (
    select * from {{ ref('int_recomputed_lines') }}
),

usage_lines as (
    select
        r.billing_account_type, r.billing_account_id, r.metric, r.unit, r.currency,
        'usage' as line_type,
        cast(null as date) as adjusts_period,
        r.quantity, r.unit_price, r.amount_minor, r.tier
    from recomputed r
    where r.service_month = {{ close_month() }} and r.quantity > 0
),

compared as (
    select
        coalesce(r.billing_account_type, e.billing_account_type) as billing_account_type,
        coalesce(r.billing_account_id, e.billing_account_id) as billing_account_id,
        coalesce(r.service_month, e.service_month) as service_month,
        coalesce(r.metric, e.metric) as metric,
        coalesce(r.currency, e.currency) as currency,
        coalesce(r.quantity, 0) - coalesce(e.quantity, 0) as quantity,
        coalesce(r.unit_price, e.last_unit_price) as unit_price,
        coalesce(r.amount_minor, 0) - coalesce(e.amount_minor, 0) as amount_minor,
        case when coalesce(r.billing_account_type, e.billing_account_type) = 'partner'
             then coalesce(r.tier, t.tier, e.last_tier) end as tier
    from recomputed r
    full outer join {{ ref('int_emitted_line_totals') }} e
        on e.billing_account_type = r.billing_account_type
        and e.billing_account_id = r.billing_account_id
        and e.service_month = r.service_month
        and e.metric = r.metric
        and e.currency = r.currency
    left join {{ ref('int_billing_owner_tiers') }} t
        on t.billing_account_id = e.billing_account_id and t.service_month = e.service_month
),

adjustment_lines as (
    select
        c.billing_account_type, c.billing_account_id, c.metric, m.unit, c.currency,
        'adjustment' as line_type,
        c.service_month as adjusts_period,
        c.quantity, c.unit_price, c.amount_minor, c.tier
    from compared c
    join {{ ref('int_metrics') }} m on m.metric = c.metric
    where c.service_month < {{ close_month() }} and c.amount_minor <> 0
),

lines as (
    select * from usage_lines
    union all
    select * from adjustment_lines
)

select
    {{ close_month() }} as invoice_period,
    l.billing_account_id,
    l.billing_account_type,
    l.billing_account_type || ':' || l.billing_account_id || ':' || {{ period_key(close_month()) }}
        || ':' || l.line_type || ':' || l.metric || ':' || coalesce({{ period_key('l.adjusts_period') }}, '')
        as line_key,
    l.line_type,
    l.adjusts_period,
    l.metric,
    case l.line_type
        when 'usage' then l.metric || ' (' || l.unit || '), ' || {{ period_key(close_month()) }}
        else 'Adjustment for ' || {{ period_key('l.adjusts_period') }} || ': ' || l.metric || ' (' || l.unit || ')'
    end || coalesce(', ' || l.tier || ' tier', '') as description,
    cast(l.quantity as decimal(38, 6)) as quantity,
    cast(l.unit_price as decimal(38, 16)) as unit_price,
    cast(l.amount_minor as bigint) as amount_minor,
    l.currency,
    l.tier
from lines l
where not (select is_closed from close_state)
