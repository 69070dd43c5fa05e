{#- What every service month up to the close month bills when computed in full
    today (SPEC §5.2-5.3): one row per billing account, month and metric, with
    that month's tier and first-day prices. Zero quantities are kept here so a
    month whose usage went away can still be compared with what was emitted. -#}
with lines as (
    select billing_account_type, billing_account_id, service_month, metric, currency,
           any_value(unit) as unit,
           sum(billable_quantity) as quantity,
           count(*) as tenants
    from {{ ref('int_tenant_usage_monthly') }}
    group by billing_account_type, billing_account_id, service_month, metric, currency
),

list_prices as (
    select l.billing_account_id, l.service_month, l.metric,
           arg_max(p.list_unit_price, p.effective_from) as list_unit_price
    from lines l
    join {{ ref('price_book') }} p
        on p.metric = l.metric and p.currency = l.currency and p.effective_from <= l.service_month
    group by all
),

rate_cards as (
    select l.billing_account_id, l.service_month, l.metric,
           arg_max(r.wholesale_unit_price, r.effective_from) as rate_card_unit_price
    from lines l
    join {{ ref('stg_landing__partner_rate_cards') }} r
        on r.partner_id = l.billing_account_id and r.metric = l.metric
        and r.currency = l.currency and r.effective_from <= l.service_month
    where l.billing_account_type = 'partner'
    group by all
),

priced as (
    select
        l.*,
        c.minor_unit_exponent,
        t.tier,
        t.discount_pct,
        lp.list_unit_price,
        rc.rate_card_unit_price,
        case when l.billing_account_type = 'partner'
             then coalesce(rc.rate_card_unit_price, {{ discounted('lp.list_unit_price', 't.discount_pct') }})
             else lp.list_unit_price
        end as unit_price
    from lines l
    left join {{ ref('currencies') }} c on c.currency = l.currency
    left join {{ ref('int_billing_owner_tiers') }} t
        on t.billing_account_id = l.billing_account_id and t.service_month = l.service_month
        and l.billing_account_type = 'partner'
    left join list_prices lp
        on lp.billing_account_id = l.billing_account_id and lp.service_month = l.service_month
        and lp.metric = l.metric
    left join rate_cards rc
        on rc.billing_account_id = l.billing_account_id and rc.service_month = l.service_month
        and rc.metric = l.metric
)

select
    billing_account_type,
    billing_account_id,
    service_month,
    metric,
    unit,
    currency,
    minor_unit_exponent,
    tier,
    discount_pct,
    tenants,
    cast(quantity as decimal(38, 6)) as quantity,
    cast(list_unit_price as decimal(38, 16)) as list_unit_price,
    cast(rate_card_unit_price as decimal(38, 16)) as rate_card_unit_price,
    cast(unit_price as decimal(38, 16)) as unit_price,
    {{ amount_minor('quantity', 'unit_price', 'minor_unit_exponent') }} as amount_minor
from priced
