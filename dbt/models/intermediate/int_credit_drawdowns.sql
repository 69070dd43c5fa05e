{#- Credits drawn at the close of close_month() (SPEC §5.9): per invoice,
    owed = the sum of its charges (usage, adjustment, commitment,
    commitment_adjustment and credit_note lines; never credit purchases).
    Where owed > 0, the account's blocks usable at the close (effective on the
    month's last day, expiring after it, with a balance after the transfers)
    pay it in drawdown order (earliest expiry first, never-expiring last, then
    earliest effective date, then block id), each min(its balance, what is
    still owed). A negative owed draws nothing. -#}
with owed as (
    select billing_account_type, billing_account_id, currency, sum(amount_minor) as owed_minor
    from {{ ref('int_proposed_charge_lines') }}
    group by billing_account_type, billing_account_id, currency
    having sum(amount_minor) > 0
),

usable as (
    select b.*, o.owed_minor,
           coalesce(sum(b.balance_minor) over (
               partition by b.billing_account_type, b.billing_account_id
               order by b.expires_on nulls last, b.effective_on, b.block_id
               rows between unbounded preceding and 1 preceding), 0) as drawn_before_minor
    from {{ ref('int_credit_blocks_after_transfers') }} b
    join owed o using (billing_account_type, billing_account_id, currency)
    where b.balance_minor > 0
      and b.effective_on <= last_day({{ close_month() }})
      and (b.expires_on is null or b.expires_on > last_day({{ close_month() }}))
)

select
    block_id,
    billing_account_type,
    billing_account_id,
    currency,
    owed_minor,
    cast(least(balance_minor, owed_minor - drawn_before_minor) as bigint) as drawn_minor
from usable
where drawn_before_minor < owed_minor
