{#- Blocks that expire at the close of close_month() (SPEC §5.9): every block
    with a balance left after the drawdown that is not usable after the month
    (it expires on or before the first day of the next month) gives up that
    balance as breakage. -#}
with drawn as (
    select block_id, sum(drawn_minor) as drawn_minor
    from {{ ref('int_credit_drawdowns') }}
    group by block_id
)

select
    b.block_id,
    b.billing_account_type,
    b.billing_account_id,
    b.currency,
    b.expires_on,
    cast(b.balance_minor - coalesce(d.drawn_minor, 0) as bigint) as expired_minor
from {{ ref('int_credit_blocks_after_transfers') }} b
left join drawn d using (block_id)
where b.expires_on <= {{ close_date() }}
  and (select not is_closed from {{ ref('int_service_months') }} where is_close_month)
  and b.balance_minor - coalesce(d.drawn_minor, 0) > 0
