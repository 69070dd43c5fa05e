{{ config(tags=['alerts']) }}
{#- Each usable alert rule's measure at each evaluable landing date d, on d's
    month to date (SPEC §5.12): usage dated in the month and landed on or
    before d, as if the month closed on d. Tenants belong to the billing owner
    the current files give on the month's last day (§4). usage = the owner's
    billable quantity of the metric; spend = what the month would bill,
    priced by macros/pricing.sql with the tier of the billable users so far;
    credit_balance = the balance after the last close before d - spend. -#}
-- Each partner's billing owner by the current files: bills_via_parent walked up. A cycle
-- is caught by assert_partner_hierarchy_has_no_cycle; the depth bound only stops the walk.
with recursive walk(partner_id, owner_id, depth) as (
    select partner_id, partner_id, 0 from {{ ref('stg_landing__partners') }}
    union all
    select w.partner_id, p.parent_partner_id, w.depth + 1
    from walk w
    join {{ ref('stg_landing__partners') }} p on p.partner_id = w.owner_id
    where p.bills_via_parent and p.parent_partner_id is not null and w.depth < 64
),

partner_owners as (
    select partner_id, arg_max(owner_id, depth) as owner_id from walk group by partner_id
),

rules as (
    select * from {{ ref('int_alert_rules') }} where problem is null
),

dates as (
    select * from {{ ref('int_alert_landing_dates') }} where evaluable
),

owners as (
    select distinct billing_account_type, billing_account_id, currency, minor_unit_exponent from rules
),

tenant_months as (
    select t.tenant_id, m.month,
           case when a.partner_id is null then 'tenant' else 'partner' end as billing_account_type,
           coalesce(w.owner_id, t.tenant_id) as billing_account_id
    from (select distinct month from dates) m
    cross join {{ ref('stg_landing__tenants') }} t
    left join {{ ref('stg_landing__assignments') }} a
        on a.tenant_id = t.tenant_id
        and a.valid_from <= last_day(m.month)
        and (a.valid_to is null or a.valid_to > last_day(m.month))
    left join partner_owners w on w.partner_id = a.partner_id
),

in_scope as (
    select tm.tenant_id, tm.month, o.billing_account_type, o.billing_account_id, o.currency
    from tenant_months tm
    join owners o using (billing_account_type, billing_account_id)
),

seen as (
    select d.landing_date as as_of, s.month, s.billing_account_type, s.billing_account_id, s.currency,
           u.tenant_id, u.metric, u.usage_date, u.day_max_quantity, u.day_sum_quantity
    from dates d
    join in_scope s on s.month = d.month
    join {{ ref('int_usage_daily') }} u
        on u.tenant_id = s.tenant_id
        and u.usage_date >= d.month and u.usage_date <= d.landing_date
        and u.landing_date <= d.landing_date
),

day_highs as (
    select as_of, tenant_id, metric, usage_date, max(day_max_quantity) as day_max_quantity
    from seen
    group by all
),

tenant_quantities as (
    select s.as_of, s.month, s.billing_account_type, s.billing_account_id, s.currency, s.tenant_id, s.metric,
           max(s.day_max_quantity) as max_reading,
           sum(s.day_sum_quantity) as total_quantity
    from seen s
    group by all
),

averaged as (
    select as_of, tenant_id, metric, sum(day_max_quantity) as sum_of_daily_max
    from day_highs
    group by all
),

tenant_billable as (
    select q.as_of, q.month, q.billing_account_type, q.billing_account_id, q.currency, q.tenant_id, q.metric,
           x.unit,
           cast(case x.aggregation
               when 'max' then q.max_reading
               when 'sum' then q.total_quantity
               when 'avg' then {{ divide_half_up_6('a.sum_of_daily_max', 'day(last_day(q.month))') }}
           end as decimal(38, 6)) as billable_quantity
    from tenant_quantities q
    join {{ ref('int_metrics') }} x on x.metric = q.metric
    left join averaged a on a.as_of = q.as_of and a.tenant_id = q.tenant_id and a.metric = q.metric
),

lines as (
    select billing_account_type, billing_account_id, month as service_month, as_of, metric, currency,
           any_value(unit) as unit,
           sum(billable_quantity) as quantity,
           count(*) as tenants
    from tenant_billable
    group by billing_account_type, billing_account_id, month, as_of, metric, currency
),

users as (
    select l.billing_account_id, l.service_month, l.as_of,
           coalesce(sum(l.quantity) filter (where l.metric = 'active_users'), 0) as billable_users,
           any_value(p.tier_floor) as tier_floor
    from lines l
    left join {{ ref('stg_landing__partners') }} p on p.partner_id = l.billing_account_id
    where l.billing_account_type = 'partner'
    group by all
),

tiers as (
    {{ owner_tiers('users', grain=['as_of']) }}
),

priced as (
    {{ priced_lines('lines', 'tiers', grain=['as_of']) }}
),

spend as (
    select billing_account_type, billing_account_id, as_of, sum(amount_minor) as spend_minor
    from priced
    group by all
),

balances as (
    select d.landing_date as as_of, e.billing_account_type, e.billing_account_id, sum(e.amount_minor) as balance_minor
    from dates d
    join {{ ref('stg_ledger__credit_entries') }} e on e.close_month <= d.balance_close_month
    group by all
)

select
    r.alert_id,
    d.month,
    d.landing_date,
    r.billing_account_type,
    r.billing_account_id,
    r.measure,
    r.metric,
    r.threshold_value as threshold,
    case when r.measure <> 'usage' then r.currency end as currency,
    r.webhook_url,
    cast(case r.measure
        when 'usage' then coalesce(l.quantity, 0)
        when 'spend' then {{ minor_to_major('coalesce(s.spend_minor, 0)', 'r.minor_unit_exponent') }}
        else {{ minor_to_major('coalesce(b.balance_minor, 0) - coalesce(s.spend_minor, 0)', 'r.minor_unit_exponent') }}
    end as decimal(38, 6)) as value
from rules r
cross join dates d
left join lines l
    on r.measure = 'usage' and l.billing_account_type = r.billing_account_type
    and l.billing_account_id = r.billing_account_id and l.as_of = d.landing_date and l.metric = r.metric
left join spend s
    on s.billing_account_type = r.billing_account_type and s.billing_account_id = r.billing_account_id
    and s.as_of = d.landing_date
left join balances b
    on b.billing_account_type = r.billing_account_type and b.billing_account_id = r.billing_account_id
    and b.as_of = d.landing_date
