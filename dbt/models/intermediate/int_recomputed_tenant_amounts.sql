{#- Each tenant's share of its recomputed line (SPEC §5.4). Wholesale: the
    largest-remainder split of the line's amount_minor: exact shares floored,
    the units left going one each to the largest fractional parts (ties by
    ascending tenant_id), so shares sum exactly to the line. Retail (SPEC
    §5.2): the tenant's assigned partner's retail price in the line's
    currency; else that partner's markup in effect (one for the metric before
    one for every metric) on the owner's wholesale price before promotion;
    else list. -#}
with shares as (
    select
        u.tenant_id,
        u.partner_id,
        u.billing_account_type,
        u.billing_account_id,
        u.service_month,
        u.metric,
        u.currency,
        u.billable_quantity as quantity,
        l.minor_unit_exponent,
        l.tier,
        l.list_unit_price,
        l.unit_price as wholesale_unit_price,
        l.price_before_promotion,
        l.amount_minor as line_amount_minor,
        {{ exact_minor('u.billable_quantity', 'l.unit_price', 'l.minor_unit_exponent') }} as exact_share
    from {{ ref('int_tenant_usage_monthly') }} u
    join {{ ref('int_recomputed_lines') }} l
        using (billing_account_type, billing_account_id, service_month, metric, currency)
),

ranked as (
    select
        s.*,
        floor(s.exact_share) as floor_share,
        s.line_amount_minor - sum(floor(s.exact_share)) over line as units_left,
        row_number() over (line_order) as remainder_rank
    from shares s
    window line as (partition by billing_account_type, billing_account_id, service_month, metric),
           line_order as (partition by billing_account_type, billing_account_id, service_month, metric
                          order by s.exact_share - floor(s.exact_share) desc, s.tenant_id)
),

retail as (
    select r.tenant_id, r.service_month, r.metric,
           arg_max(p.retail_unit_price, p.effective_from) as retail_unit_price
    from ranked r
    join {{ ref('stg_landing__partner_retail_prices') }} p
        on p.partner_id = r.partner_id and p.metric = r.metric
        and p.currency = r.currency and p.effective_from <= r.service_month
    group by all
),

markups as (
    select tenant_id, service_month, metric, markup_pct
    from (
        select r.tenant_id, r.service_month, r.metric, m.markup_pct,
               row_number() over (
                   partition by r.tenant_id, r.service_month, r.metric
                   order by case when m.metric is null then 1 else 0 end, m.effective_from desc) as choice
        from ranked r
        join {{ ref('stg_landing__partner_markups') }} m
            on m.partner_id = r.partner_id and (m.metric is null or m.metric = r.metric)
            and m.effective_from <= r.service_month and m.markup_pct >= 0
    ) ranked_markups
    where choice = 1
),

priced as (
    select r.*,
           coalesce(rp.retail_unit_price,
                    cast(r.price_before_promotion * (100 + mk.markup_pct) * 0.01 as decimal(38, 16)),
                    r.list_unit_price) as retail_price
    from ranked r
    left join retail rp using (tenant_id, service_month, metric)
    left join markups mk using (tenant_id, service_month, metric)
)

select
    r.tenant_id,
    r.partner_id,
    r.billing_account_type,
    r.billing_account_id,
    r.service_month,
    r.metric,
    r.currency,
    r.minor_unit_exponent,
    r.tier,
    r.quantity,
    r.list_unit_price,
    r.wholesale_unit_price,
    cast(r.retail_price as decimal(38, 16)) as retail_unit_price,
    {{ amount_minor('r.quantity', 'r.list_unit_price', 'r.minor_unit_exponent') }} as list_amount_minor,
    cast(r.floor_share as bigint) + case when r.remainder_rank <= r.units_left then 1 else 0 end
        as wholesale_amount_minor,
    {{ amount_minor('r.quantity', 'r.retail_price', 'r.minor_unit_exponent') }} as retail_amount_minor
from priced r
