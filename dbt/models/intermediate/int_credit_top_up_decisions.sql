{#- Top-up purchases decided at the close of close_month() (SPEC §5.9): after
    expiry, for each rule whose account's balance (the sum of its blocks not
    expired) is below ROUND_HALF_UP(threshold x 10^e), one purchase of the
    rule's package and quantity, id `<rule_id>/<YYYY-MM of the next month>`,
    dated the close date, charged at the next close. Never twice for one id.
    Rules with a file error block the close and are left out here. -#}
with closing as (
    select not is_closed as is_open from {{ ref('int_service_months') }} where is_close_month
),

after_close as (
    select b.billing_account_type, b.billing_account_id, b.balance_minor as amount_minor
    from {{ ref('int_credit_blocks_after_transfers') }} b
    union all
    select billing_account_type, billing_account_id, -drawn_minor from {{ ref('int_credit_drawdowns') }}
    union all
    select billing_account_type, billing_account_id, -expired_minor from {{ ref('int_credit_expiries') }}
),

balances as (
    select billing_account_type, billing_account_id, sum(amount_minor) as balance_minor
    from after_close
    group by billing_account_type, billing_account_id
),

unique_rules as (
    select rule_id from {{ ref('stg_landing__credit_top_ups') }} group by rule_id having count(*) = 1
),

rules as (
    select r.*, k.currency, k.minor_unit_exponent,
           r.rule_id || '/' || {{ period_key(close_date()) }} as purchase_id,
           cast({{ amount_minor('r.threshold_value', 1, 'k.minor_unit_exponent') }} as bigint) as threshold_minor
    from {{ ref('stg_landing__credit_top_ups') }} r
    join unique_rules u using (rule_id)
    join {{ ref('int_credit_packages') }} k using (package)
    join {{ ref('int_billing_owners_by_month') }} o
        on o.service_month = {{ close_month() }} and o.billing_account_type = r.billing_account_type
        and o.billing_account_id = r.billing_account_id and o.currency = k.currency
    where regexp_full_match(r.rule_id, '{{ var("id_pattern") }}')
      and r.quantity >= 1 and r.threshold_value is not null
      and {{ exact_in_minor_digits('r.threshold', 'k.minor_unit_exponent') }}
)

select
    r.purchase_id,
    r.rule_id,
    r.billing_account_type,
    r.billing_account_id,
    r.package,
    r.quantity_text as quantity,
    {{ close_date() }} as purchased_on,
    cast(coalesce(b.balance_minor, 0) as bigint) as balance_minor,
    r.threshold_minor
from rules r
left join balances b using (billing_account_type, billing_account_id)
where coalesce(b.balance_minor, 0) < r.threshold_minor
  and r.purchase_id not in (select purchase_id from {{ ref('stg_ledger__credit_top_ups') }})
  and (select is_open from closing)
