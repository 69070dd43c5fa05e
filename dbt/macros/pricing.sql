{#- The tier and price rules of SPEC §5.1-5.2, written once: the close prices
    each service month with them (int_billing_owner_tiers, int_recomputed_lines)
    and alert evaluation prices each month to date (int_alert_measures). `grain`
    names the columns that tell one evaluation from another beyond the billing
    account and service month (none at a close; the landing date for alerts). -#}

{#- The tier of each partner billing owner from a relation of billing_account_id,
    service_month, billable_users, tier_floor and the grain columns: the tier with
    the highest threshold not above billable_users (the lowest tier when none is),
    raised to tier_floor when the floor's threshold is higher. -#}
{% macro owner_tiers(users, grain=[]) -%}
    with earned as (
        select u.billing_account_id, u.service_month, {% for g in grain %}u.{{ g }}, {% endfor %}u.billable_users,
               any_value(u.tier_floor) as tier_floor,
               coalesce(
                   arg_max(t.tier, t.min_billable_users) filter (where t.min_billable_users <= u.billable_users),
                   arg_min(t.tier, t.min_billable_users)
               ) as earned_tier
        from {{ users }} u
        cross join {{ ref('partner_tiers') }} t
        group by u.billing_account_id, u.service_month, {% for g in grain %}u.{{ g }}, {% endfor %}u.billable_users
    ),

    floored as (
        select e.*, et.min_billable_users as earned_threshold,
               ft.tier as floor_tier, ft.min_billable_users as floor_threshold
        from earned e
        join {{ ref('partner_tiers') }} et on et.tier = e.earned_tier
        left join {{ ref('partner_tiers') }} ft on lower(ft.tier) = lower(e.tier_floor)
    )

    select
        f.billing_account_id,
        f.service_month,
        {% for g in grain %}f.{{ g }},
        {% endfor %}f.billable_users,
        f.earned_tier,
        f.tier_floor,
        t.tier,
        t.discount_pct
    from floored f
    join {{ ref('partner_tiers') }} t
        on t.tier = case when f.floor_threshold > f.earned_threshold then f.floor_tier else f.earned_tier end
{%- endmacro %}

{#- Each line of a relation of billing_account_type, billing_account_id,
    service_month, metric, unit, currency, quantity, tenants and the grain
    columns, priced: the list price in effect on the month's first day; for a
    partner, its rate card's price else list less its tier's discount (from
    `tiers`, owner_tiers' columns); then the promotion in effect with the highest
    percent_off (ties to the smallest id); amount_minor rounded once, half-up. -#}
{% macro priced_lines(lines, tiers, grain=[]) -%}
    with line_months as (
        select distinct billing_account_type, billing_account_id, service_month, metric, currency
        from {{ lines }}
    ),

    list_prices as (
        select l.billing_account_id, l.service_month, l.metric,
               arg_max(p.list_unit_price, p.effective_from) as list_unit_price
        from line_months l
        join {{ ref('price_book') }} p
            on p.metric = l.metric and p.currency = l.currency and p.effective_from <= l.service_month
        group by all
    ),

    rate_cards as (
        select l.billing_account_id, l.service_month, l.metric,
               arg_max(r.wholesale_unit_price, r.effective_from) as rate_card_unit_price
        from line_months l
        join {{ ref('stg_landing__partner_rate_cards') }} r
            on r.partner_id = l.billing_account_id and r.metric = l.metric
            and r.currency = l.currency and r.effective_from <= l.service_month
        where l.billing_account_type = 'partner'
        group by all
    ),

    promotions as (
        select billing_account_type, billing_account_id, service_month, metric,
               promotion_id, percent_off, percent_off_text
        from (
            select l.billing_account_type, l.billing_account_id, l.service_month, l.metric,
                   p.promotion_id, p.percent_off, p.percent_off_text,
                   row_number() over (
                       partition by l.billing_account_type, l.billing_account_id, l.service_month, l.metric
                       order by p.percent_off desc, p.promotion_id) as choice
            from line_months l
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
        from {{ lines }} l
        left join {{ ref('currencies') }} c on c.currency = l.currency
        left join {{ tiers }} t
            on t.billing_account_id = l.billing_account_id and t.service_month = l.service_month
            {% for g in grain %}and t.{{ g }} = l.{{ g }}
            {% endfor %}and l.billing_account_type = 'partner'
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
        {% for g in grain %}{{ g }},
        {% endfor %}metric,
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
{%- endmacro %}
