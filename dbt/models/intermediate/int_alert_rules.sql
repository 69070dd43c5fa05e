{{ config(tags=['alerts']) }}
{#- Every row of billing/alert_rules.csv with what stops it from being
    evaluated (SPEC §2, §5.12), or none: an id off the pattern or repeated, an
    account that is not a billing owner in the current files, an unknown measure
    or metric, a threshold that is not a plain decimal >= 0, a quantity with more
    than 6 decimals or money not exact in the account's minor digits. A rule
    with a problem is reported by assert_alert_rules_are_usable, never evaluated. -#}
with rules as (
    select r.*, min(r.source_row) over (partition by r.alert_id) as first_row
    from {{ ref('stg_landing__alert_rules') }} r
),

accounts as (
    select 'partner' as billing_account_type, partner_id as billing_account_id, currency,
           coalesce(bills_via_parent, false) and parent_partner_id is not null as billed_via_parent
    from {{ ref('stg_landing__partners') }}
    union all
    select 'tenant', tenant_id, currency, false from {{ ref('stg_landing__tenants') }}
),

checked as (
    select r.*, a.currency, c.minor_unit_exponent, case
        when r.alert_id is null or not regexp_full_match(r.alert_id, '{{ var("id_pattern") }}')
            then 'alert_id ' || coalesce(r.alert_id, '') || ' does not match the id pattern'
        when r.source_row > r.first_row then 'alert_id repeats row ' || r.first_row
        when r.billing_account_type is null or r.billing_account_type not in ('partner', 'tenant')
            then 'billing_account_type must be partner or tenant'
        when a.billing_account_id is null
            then 'unknown ' || r.billing_account_type || ' ' || coalesce(r.billing_account_id, '')
        when a.billed_via_parent
            then 'partner ' || r.billing_account_id || ' is billed via its parent, so it is not a billing owner'
        when r.measure is null or r.measure not in ('usage', 'spend', 'credit_balance')
            then 'measure must be usage, spend or credit_balance'
        when r.measure = 'usage' and r.metric is null then 'a usage rule needs a metric'
        when r.measure = 'usage' and m.metric is null then 'unknown metric ' || r.metric
        when r.measure <> 'usage' and r.metric is not null then 'a metric applies only to a usage rule'
        when r.threshold_value is null then 'threshold must be a plain decimal >= 0'
        when r.measure = 'usage' and not {{ exact_in_minor_digits('r.threshold', 6) }}
            then 'threshold ' || r.threshold || ' has more than 6 decimals'
        when r.measure <> 'usage' and not {{ exact_in_minor_digits('r.threshold', 'c.minor_unit_exponent') }}
            then 'threshold ' || r.threshold || ' is not exact in ' || upper(a.currency) || '''s '
                 || c.minor_unit_exponent || ' minor digits'
    end as problem
    from rules r
    left join accounts a using (billing_account_type, billing_account_id)
    left join {{ ref('currencies') }} c on c.currency = a.currency
    left join {{ ref('int_metrics') }} m on m.metric = r.metric
)

select
    source_row,
    alert_id,
    billing_account_type,
    billing_account_id,
    measure,
    metric,
    threshold,
    cast(case when problem is null then threshold_value end as decimal(38, 6)) as threshold_value,
    currency,
    minor_unit_exponent,
    webhook_url,
    problem
from checked
