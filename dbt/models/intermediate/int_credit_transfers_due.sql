{#- The credit transfers the close of close_month() processes (SPEC §5.9):
    every transfer dated up to the month's last day and not processed at an
    earlier close, with its amount in minor units and its place in the
    sequence of its hierarchy (top-level partner and currency), in
    (transferred_on, transfer_id) order. Rows with a file error block the
    close (assert_billing_rows_are_valid) and are left out here. Empty once the
    month is closed. -#}
with closing as (
    select not is_closed as is_open from {{ ref('int_service_months') }} where is_close_month
),

unique_transfers as (
    select transfer_id from {{ ref('stg_landing__credit_transfers') }} group by transfer_id having count(*) = 1
),

due as (
    select t.*, r.root_partner_id, c.minor_unit_exponent
    from {{ ref('stg_landing__credit_transfers') }} t
    join unique_transfers u using (transfer_id)
    join {{ ref('int_partner_roots') }} r on r.partner_id = t.from_partner_id
    join {{ ref('int_partner_roots') }} rt on rt.partner_id = t.to_partner_id and rt.root_partner_id = r.root_partner_id
    join {{ ref('currencies') }} c on c.currency = t.currency
    where regexp_full_match(t.transfer_id, '{{ var("id_pattern") }}')
      and t.from_partner_id <> t.to_partner_id
      and t.amount_value > 0 and {{ exact_in_minor_digits('t.amount', 'c.minor_unit_exponent') }}
      and t.transferred_on <= last_day({{ close_month() }})
      and t.transfer_id not in (select transfer_id from {{ ref('stg_ledger__credit_transfers') }})
      and (select is_open from closing)
)

select
    transfer_id,
    from_partner_id,
    to_partner_id,
    currency,
    amount,
    transferred_on,
    cast({{ amount_minor('amount_value', 1, 'minor_unit_exponent') }} as bigint) as amount_minor,
    root_partner_id || ':' || currency as hierarchy,
    cast(row_number() over (partition by root_partner_id, currency order by transferred_on, transfer_id) as integer)
        as position
from due
