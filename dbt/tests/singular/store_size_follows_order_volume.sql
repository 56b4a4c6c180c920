-- A store's size category is a fact about the store: physical stores are Large, Medium or
-- Small by their orders per trading day (thirds of the stores), web stores are Online. Rows
-- that break it: a Small store busier than a Medium or Large one, a Medium busier than a Large.
with volume as (
    select store_id, count(*) as orders, count(distinct order_dt_local) as trading_days
    from {{ ref('stg_orders_header') }}
    group by store_id
),

stores as (
    select
        dim_store.store_id,
        dim_store.size_category,
        coalesce(volume.orders / nullif(volume.trading_days, 0), 0) as orders_per_day
    from {{ ref('dim_store') }} as dim_store
    left join volume on volume.store_id = dim_store.store_id
    where not dim_store.is_unknown_member
),

ranked as (
    select
        size_category,
        case size_category when 'Large' then 3 when 'Medium' then 2 when 'Small' then 1 end as size_rank,
        min(orders_per_day) as least_busy,
        max(orders_per_day) as busiest
    from stores
    where size_category <> 'Online'
    group by size_category
)

select smaller.size_category as smaller, larger.size_category as larger, smaller.busiest, larger.least_busy
from ranked as smaller
inner join ranked as larger on smaller.size_rank < larger.size_rank
where smaller.busiest > larger.least_busy
union all
select size_category, 'web/physical mismatch', null, null
from {{ ref('dim_store') }}
where not is_unknown_member and (size_category = 'Online') <> (channel = 'web')
