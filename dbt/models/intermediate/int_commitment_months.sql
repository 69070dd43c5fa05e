{#- Every service month in which a commitment is in effect and billed (SPEC
    §5.8): valid_from <= K < valid_to, from the first close on (the month
    being closed when nothing is closed yet) through the month being closed.
    Rows that fail assert_billing_rows_are_valid never reach an emitted line:
    that test blocks the close. -#}
with first_close as (
    select coalesce(min(close_month), {{ close_month() }}) as first_month
    from {{ ref('stg_ledger__closes') }}
),

valid as (
    select k.*
    from {{ ref('stg_landing__commitments') }} k
    where k.valid_from is not null and k.valid_to > k.valid_from and k.minimum_minor > 0
),

spans as (
    select v.*, greatest(v.valid_from, f.first_month) as first_month,
           least(cast(v.valid_to - interval 1 month as date), {{ close_month() }}) as last_month
    from valid v
    cross join first_close f
)

select
    s.commitment_id,
    s.billing_account_type,
    s.billing_account_id,
    cast(m.month as date) as service_month,
    s.currency,
    s.monthly_minimum,
    s.minimum_minor
from spans s
cross join lateral (select unnest(generate_series(s.first_month, s.last_month, interval 1 month)) as month) m
where s.first_month <= s.last_month
