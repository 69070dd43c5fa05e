{#- The credit purchases the close of close_month() charges (SPEC §5.9): every
    purchase in billing/credit_purchases.csv dated up to the month's last day
    and not charged at an earlier close (one dated in a month already closed
    is charged now, its block still effective from its date), and every top-up
    purchase recorded at an earlier close and not charged yet. Each creates one
    block, id = purchase_id, of ROUND_HALF_UP(quantity x credit_amount x 10^e),
    expiring validity_months calendar months after purchased_on (the month's
    last day where the day does not exist; never when validity is empty), and
    is charged ROUND_HALF_UP(quantity x price x 10^e). Rows with a file error
    block the close (assert_billing_rows_are_valid) and are left out here.
    Empty once the month is closed. -#}
with closing as (
    select not is_closed as is_open from {{ ref('int_service_months') }} where is_close_month
),

charged as (
    select purchase_id from {{ ref('stg_ledger__credit_purchases') }}
),

unique_purchases as (
    select purchase_id from {{ ref('stg_landing__credit_purchases') }} group by purchase_id having count(*) = 1
),

due as (
    select p.purchase_id, 'file' as origin, p.billing_account_type, p.billing_account_id, p.package,
           p.quantity_text, p.quantity, p.purchased_on
    from {{ ref('stg_landing__credit_purchases') }} p
    join unique_purchases u using (purchase_id)
    where regexp_full_match(p.purchase_id, '{{ var("id_pattern") }}')
      and p.quantity >= 1
      and p.purchased_on <= last_day({{ close_month() }})
    union all
    select t.purchase_id, 'top_up', t.billing_account_type, t.billing_account_id, t.package,
           t.quantity, cast(t.quantity as integer), t.purchased_on
    from {{ ref('stg_ledger__credit_top_ups') }} t
    where t.purchased_on <= last_day({{ close_month() }})
)

select
    d.purchase_id,
    d.origin,
    d.billing_account_type,
    d.billing_account_id,
    d.package,
    d.quantity_text as quantity,
    d.purchased_on,
    k.currency,
    k.minor_unit_exponent,
    cast({{ amount_minor('d.quantity', 'k.credit_amount_value', 'k.minor_unit_exponent') }} as bigint) as credit_minor,
    cast({{ amount_minor('d.quantity', 'k.price_value', 'k.minor_unit_exponent') }} as bigint) as price_minor,
    {{ plus_months('d.purchased_on', 'k.validity_months') }} as expires_on
from due d
join {{ ref('int_credit_packages') }} k using (package)
where d.purchase_id not in (select purchase_id from charged)
  and k.credit_amount_value is not null and k.price_value is not null
  and (k.validity_months_text is null or k.validity_months >= 1)
  and (select is_open from closing)
