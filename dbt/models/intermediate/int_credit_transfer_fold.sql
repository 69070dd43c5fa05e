{#- The transfers of the close of close_month(), applied one after another
    within each hierarchy (SPEC §5.9): row (hierarchy, step n) is every block
    of the hierarchy's partners after its n-th transfer (step 0: before any).
    A transfer takes its amount from the sender's blocks usable on its date
    (effective on it, expiring after it, with a balance), in drawdown order
    (earliest expiry first, never-expiring last, then earliest effective date,
    then block id), each block min(its balance, what is still to move); each
    part becomes a receiver's block `<transfer_id>/<source block id>` with the
    source's expiry, effective from the transfer's date. When the sender's
    usable balance is below the amount, nothing moves and the transfer is
    rejected. Each step depends on the balances the previous one left, so the
    sequence is a fold. A row without a block keeps every hierarchy in the
    fold, so a transfer from a sender with no credit is still decided. -#}
with recursive hierarchies as (
    select distinct hierarchy from {{ ref('int_credit_transfers_due') }}
),

partner_hierarchies as (
    select r.partner_id, r.root_partner_id || ':' || p.currency as hierarchy
    from {{ ref('int_partner_roots') }} r
    join {{ ref('stg_landing__partners') }} p using (partner_id)
),

fold(hierarchy, step, block_id, billing_account_id, currency, effective_on, expires_on, balance_minor,
     taken_minor, created, transfer_id, accepted) as (
    select h.hierarchy, 0, b.block_id, b.billing_account_id, b.currency, b.effective_on, b.expires_on,
           b.balance_minor, cast(0 as bigint), false, cast(null as varchar), cast(null as boolean)
    from hierarchies h
    join partner_hierarchies ph using (hierarchy)
    join {{ ref('int_credit_blocks_before_transfers') }} b
        on b.billing_account_type = 'partner' and b.billing_account_id = ph.partner_id
    union all
    select hierarchy, 0, cast(null as varchar), cast(null as varchar), cast(null as varchar),
           cast(null as date), cast(null as date), cast(0 as bigint), cast(0 as bigint), false,
           cast(null as varchar), cast(null as boolean)
    from hierarchies
    union all
    select
        x.hierarchy,
        x.step,
        case when k.created then x.transfer_id || '/' || x.block_id else x.block_id end,
        case when k.created then x.to_partner_id else x.billing_account_id end,
        x.currency,
        case when k.created then x.transferred_on else x.effective_on end,
        x.expires_on,
        case when k.created then x.taken_minor else x.balance_minor - x.taken_minor end,
        case when k.created then cast(0 as bigint) else x.taken_minor end,
        k.created,
        x.transfer_id,
        x.accepted
    from (
        select u.*,
               cast(case when u.accepted and u.usable
                         then least(u.balance_minor, greatest(u.amount_minor - u.usable_before_minor, 0))
                         else 0 end as bigint) as taken_minor
        from (
            select v.*,
                   coalesce(sum(case when v.usable then v.balance_minor else 0 end) over (
                       partition by v.hierarchy
                       order by v.expires_on nulls last, v.effective_on, v.block_id
                       rows between unbounded preceding and 1 preceding), 0) as usable_before_minor,
                   sum(case when v.usable then v.balance_minor else 0 end) over (partition by v.hierarchy)
                       >= v.amount_minor as accepted
            from (
                select p.hierarchy, p.step + 1 as step, p.block_id, p.billing_account_id, p.currency,
                       p.effective_on, p.expires_on, p.balance_minor,
                       t.transfer_id, t.to_partner_id, t.transferred_on, t.amount_minor,
                       coalesce(p.billing_account_id = t.from_partner_id
                                and p.effective_on <= t.transferred_on
                                and (p.expires_on is null or p.expires_on > t.transferred_on)
                                and p.balance_minor > 0, false) as usable
                from fold p
                join {{ ref('int_credit_transfers_due') }} t
                    on t.hierarchy = p.hierarchy and t.position = p.step + 1
            ) v
        ) u
    ) x
    cross join (select false as created union all select true) k
    where not k.created or x.taken_minor > 0
)

select * from fold
