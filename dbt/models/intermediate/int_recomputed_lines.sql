{#- What every service month up to the close month bills when computed in full
    today (SPEC §5.2-5.3): one row per billing account, month and metric, with
    that month's tier, first-day prices and promotion (macros/pricing.sql). Zero
    quantities are kept here so a month whose usage went away can still be
    compared with what was emitted. -#}
with lines as (
    select billing_account_type, billing_account_id, service_month, metric, currency,
           any_value(unit) as unit,
           sum(billable_quantity) as quantity,
           count(*) as tenants
    from {{ ref('int_tenant_usage_monthly') }}
    group by billing_account_type, billing_account_id, service_month, metric, currency
)

select * from ({{ priced_lines('lines', ref('int_billing_owner_tiers')) }}) priced
