{{ config(tags=['post_close']) }}
{#- Each account's prepaid balance at every close from its first credit entry
    on (SPEC §5.9, §6): opening (the closing of the close before), what the
    close purchased, transferred in and out, drew and expired, and closing =
    opening + purchased + transferred_in - transferred_out - drawn - expired.
    All are >= 0; a close without entries carries the balance forward. -#}
with accounts as (
    select billing_account_type, billing_account_id, currency, min(close_month) as first_close
    from {{ ref('stg_ledger__credit_entries') }}
    group by billing_account_type, billing_account_id, currency
),

months as (
    select a.billing_account_type, a.billing_account_id, a.currency, c.close_month
    from accounts a
    join {{ ref('stg_ledger__closes') }} c on c.close_month >= a.first_close
),

moves as (
    select billing_account_type, billing_account_id, close_month,
           sum(case when entry_type = 'purchase' then amount_minor else 0 end) as purchased_minor,
           sum(case when entry_type = 'transfer_in' then amount_minor else 0 end) as transferred_in_minor,
           -sum(case when entry_type = 'transfer_out' then amount_minor else 0 end) as transferred_out_minor,
           -sum(case when entry_type = 'drawdown' then amount_minor else 0 end) as drawn_minor,
           -sum(case when entry_type = 'expiry' then amount_minor else 0 end) as expired_minor,
           sum(amount_minor) as net_minor
    from {{ ref('stg_ledger__credit_entries') }}
    group by billing_account_type, billing_account_id, close_month
),

rolled as (
    select m.*,
           coalesce(v.purchased_minor, 0) as purchased_minor,
           coalesce(v.transferred_in_minor, 0) as transferred_in_minor,
           coalesce(v.transferred_out_minor, 0) as transferred_out_minor,
           coalesce(v.drawn_minor, 0) as drawn_minor,
           coalesce(v.expired_minor, 0) as expired_minor,
           sum(coalesce(v.net_minor, 0)) over (
               partition by m.billing_account_type, m.billing_account_id order by m.close_month
               rows between unbounded preceding and current row) as closing_minor
    from months m
    left join moves v using (billing_account_type, billing_account_id, close_month)
)

select
    billing_account_type,
    billing_account_id,
    close_month,
    currency,
    cast(closing_minor - (purchased_minor + transferred_in_minor - transferred_out_minor - drawn_minor - expired_minor)
         as bigint) as opening_minor,
    cast(purchased_minor as bigint) as purchased_minor,
    cast(transferred_in_minor as bigint) as transferred_in_minor,
    cast(transferred_out_minor as bigint) as transferred_out_minor,
    cast(drawn_minor as bigint) as drawn_minor,
    cast(expired_minor as bigint) as expired_minor,
    cast(closing_minor as bigint) as closing_minor,
    c.minor_unit_exponent
from rolled
join {{ ref('currencies') }} c using (currency)
