{{ config(tags=['post_close']) }}
{#- Tenant and MRR movements per month and partner (with its billing owner and
    tier), plus one platform row per month (partner_id '(platform)'); direct
    tenants are partner '(direct)'. Definitions (tenant t, month M, partner P):
    - tenants_at_start: active in M-1 under P.
    - new: active in M under P and never active before M.
    - reactivated: active in M under P, not active in M-1, active some month before.
    - churned: active in M-1 under P, not active in M at all.
    - moved_in / moved_out: active in both months, under another partner in M-1 / in M.
    start + new + reactivated + moved_in - churned - moved_out = next month's start.
    MRR is the month's platform revenue in EUR cents. expansion / contraction are
    the MRR changes of tenants active under P in both months; retention rates
    are over the MRR at start less what moved out (a move is not churn). -#}
with activity as (
    select * from {{ ref('int_tenant_activity_monthly') }}
),

months as (
    select distinct service_month from activity
    union
    select cast(service_month + interval 1 month as date) from activity
),

first_active as (
    select scope, tenant_id, min(service_month) as first_month from activity group by all
),

pairs as (
    -- every (scope, month, tenant) active now or last month
    select m.service_month, a.scope, a.tenant_id
    from months m join activity a on a.service_month = m.service_month
    union
    select m.service_month, a.scope, a.tenant_id
    from months m join activity a on a.service_month = cast(m.service_month - interval 1 month as date)
),

movements as (
    select
        p.scope,
        p.service_month,
        p.tenant_id,
        cur.partner_key as partner_now,
        prev.partner_key as partner_before,
        cur.billing_account_id as owner_now,
        prev.billing_account_id as owner_before,
        cur.tier as tier_now,
        prev.tier as tier_before,
        coalesce(cur.mrr_eur_minor, 0) as mrr_now,
        coalesce(prev.mrr_eur_minor, 0) as mrr_before,
        f.first_month
    from pairs p
    left join activity cur
        on cur.scope = p.scope and cur.tenant_id = p.tenant_id and cur.service_month = p.service_month
    left join activity prev
        on prev.scope = p.scope and prev.tenant_id = p.tenant_id
        and prev.service_month = cast(p.service_month - interval 1 month as date)
    join first_active f on f.scope = p.scope and f.tenant_id = p.tenant_id
),

-- Each movement counts for the partner it concerns: the one now, or the one before.
-- Both arms name every column, in the same order.
sides as (
    select scope, service_month, partner_now as partner_key, owner_now as billing_account_id, tier_now as tier,
           case when partner_before is null and first_month = service_month then 1 else 0 end as is_new,
           case when partner_before is null and first_month < service_month then 1 else 0 end as is_reactivated,
           case when partner_before is not null and partner_before <> partner_now then 1 else 0 end as is_moved_in,
           0 as is_start, 0 as is_churned, 0 as is_moved_out,
           case when partner_before is null and first_month = service_month then mrr_now else 0 end as mrr_new,
           case when partner_before is null and first_month < service_month then mrr_now else 0 end as mrr_reactivated,
           case when partner_before is not null and partner_before <> partner_now then mrr_now else 0 end as mrr_moved_in,
           0 as mrr_start, 0 as mrr_churned, 0 as mrr_moved_out,
           case when partner_before = partner_now then greatest(mrr_now - mrr_before, 0) else 0 end as mrr_expansion,
           case when partner_before = partner_now then greatest(mrr_before - mrr_now, 0) else 0 end as mrr_contraction
    from movements where partner_now is not null
    union all
    select scope, service_month, partner_before as partner_key, owner_before as billing_account_id,
           tier_before as tier,
           0 as is_new, 0 as is_reactivated, 0 as is_moved_in,
           1 as is_start,
           case when partner_now is null then 1 else 0 end as is_churned,
           case when partner_now is not null and partner_now <> partner_before then 1 else 0 end as is_moved_out,
           0 as mrr_new, 0 as mrr_reactivated, 0 as mrr_moved_in,
           mrr_before as mrr_start,
           case when partner_now is null then mrr_before else 0 end as mrr_churned,
           case when partner_now is not null and partner_now <> partner_before then mrr_before else 0 end as mrr_moved_out,
           0 as mrr_expansion, 0 as mrr_contraction
    from movements where partner_before is not null
),

grouped as (
    select
        service_month,
        scope,
        partner_key as partner_id,
        arg_max(billing_account_id, is_start = 0) as billing_account_id,
        arg_max(tier, is_start = 0) as tier,
        sum(is_start) as tenants_at_start,
        sum(is_new) as tenants_new,
        sum(is_reactivated) as tenants_reactivated,
        sum(is_moved_in) as tenants_moved_in,
        sum(is_churned) as tenants_churned,
        sum(is_moved_out) as tenants_moved_out,
        sum(mrr_start) as mrr_start_eur_minor,
        sum(mrr_new) as mrr_new_eur_minor,
        sum(mrr_reactivated) as mrr_reactivated_eur_minor,
        sum(mrr_expansion) as mrr_expansion_eur_minor,
        sum(mrr_contraction) as mrr_contraction_eur_minor,
        sum(mrr_churned) as mrr_churned_eur_minor,
        sum(mrr_moved_in) as mrr_moved_in_eur_minor,
        sum(mrr_moved_out) as mrr_moved_out_eur_minor
    from sides
    group by service_month, scope, partner_key
)

select
    service_month,
    scope,
    partner_id,
    billing_account_id,
    tier,
    tenants_at_start::bigint as tenants_at_start,
    tenants_new::bigint as tenants_new,
    tenants_reactivated::bigint as tenants_reactivated,
    tenants_moved_in::bigint as tenants_moved_in,
    tenants_churned::bigint as tenants_churned,
    tenants_moved_out::bigint as tenants_moved_out,
    (tenants_at_start + tenants_new + tenants_reactivated + tenants_moved_in - tenants_churned - tenants_moved_out)::bigint
        as tenants_at_end,
    case when tenants_at_start > 0
         then cast(round(tenants_churned::decimal(38, 6) / tenants_at_start, 6) as decimal(12, 6)) end as logo_churn_rate,
    mrr_start_eur_minor::bigint as mrr_start_eur_minor,
    mrr_new_eur_minor::bigint as mrr_new_eur_minor,
    mrr_reactivated_eur_minor::bigint as mrr_reactivated_eur_minor,
    mrr_expansion_eur_minor::bigint as mrr_expansion_eur_minor,
    mrr_contraction_eur_minor::bigint as mrr_contraction_eur_minor,
    mrr_churned_eur_minor::bigint as mrr_churned_eur_minor,
    mrr_moved_in_eur_minor::bigint as mrr_moved_in_eur_minor,
    mrr_moved_out_eur_minor::bigint as mrr_moved_out_eur_minor,
    (mrr_start_eur_minor + mrr_new_eur_minor + mrr_reactivated_eur_minor + mrr_expansion_eur_minor
        - mrr_contraction_eur_minor - mrr_churned_eur_minor + mrr_moved_in_eur_minor - mrr_moved_out_eur_minor)::bigint
        as mrr_end_eur_minor,
    case when mrr_start_eur_minor - mrr_moved_out_eur_minor > 0 then cast(round(
        (mrr_start_eur_minor - mrr_moved_out_eur_minor - mrr_contraction_eur_minor - mrr_churned_eur_minor)::decimal(38, 6)
        / (mrr_start_eur_minor - mrr_moved_out_eur_minor), 6) as decimal(12, 6)) end as gross_revenue_retention,
    case when mrr_start_eur_minor - mrr_moved_out_eur_minor > 0 then cast(round(
        (mrr_start_eur_minor - mrr_moved_out_eur_minor - mrr_contraction_eur_minor - mrr_churned_eur_minor
         + mrr_expansion_eur_minor)::decimal(38, 6)
        / (mrr_start_eur_minor - mrr_moved_out_eur_minor), 6) as decimal(12, 6)) end as net_revenue_retention
from grouped
where service_month <= {{ close_month() }}
