{#- What every service month up to the close month bills when computed in full
    today (SPEC §5.2-5.3): one row per billing account, month and metric, with
    that month's tier, first-day prices and promotion. Zero quantities are kept
    here so a month whose usage went away can still be compared with what was
    emitted. -#}
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

-- The promotion in effect for each line: the highest percent_off, ties to the smallest id.
promotions as (
    select billing_account_type, billing_account_id, service_month, metric,
           promotion_id, percent_off, percent_off_text
    from (
        select l.billing_account_type, l.billing_account_id, l.service_month, l.metric,
               p.promotion_id, p.percent_off, p.percent_off_text,
               row_number() over (
                   partition by l.billing_account_type, l.billing_account_id, l.service_month, l.metric
                   order by p.percent_off desc, p.promotion_id) as choice
        from lines l
        join {{ ref('stg_landing__promotions') }} p
            on p.billing_account_type = l.billing_account_type
            and (p.billing_account_id is null or p.billing_account_id = l.billing_account_id)
            and (p.metric is null or p.metric = l.metric)
            and p.valid_from <= l.service_month
            and (p.valid_to is null or p.valid_to > l.service_month)
            and p.percent_off > 0 and p.percent_off <= 100
    ) ranked
    where choice = 1
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
        end as price_before_promotion,
        pr.promotion_id,
        pr.percent_off,
        pr.percent_off_text
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
    left join promotions pr
        on pr.billing_account_type = l.billing_account_type and pr.billing_account_id = l.billing_account_id
        and pr.service_month = l.service_month and pr.metric = l.metric
),

promoted as (
    select p.*,
           case when p.promotion_id is null then p.price_before_promotion
                else {{ discounted('p.price_before_promotion', 'p.percent_off') }} end as unit_price
    from priced p
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
    cast(price_before_promotion as decimal(38, 16)) as price_before_promotion,
    promotion_id,
    percent_off_text,
    cast(unit_price as decimal(38, 16)) as unit_price,
    {{ amount_minor('quantity', 'unit_price', 'minor_unit_exponent') }} as amount_minor
from promoted
