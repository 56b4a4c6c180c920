-- Size category from the data: physical stores in thirds by orders per trading day (a store
-- without orders is Small), web stores Online (decision 57).
with stores as (
    select * from {{ ref('stg_stores') }}
),

order_headers as (
    select * from {{ ref('stg_orders_header') }}
),

order_volume as (
    select store_id, count(*) / count(distinct order_dt_local) as orders_per_day
    from order_headers
    group by store_id
),

sized as (
    select
        stores.*,
        ntile(3) over (
            partition by stores.channel = 'web'
            order by coalesce(order_volume.orders_per_day, 0) desc, stores.store_id
        ) as size_third
    from stores
    left join order_volume on order_volume.store_id = stores.store_id
),

stores_sized as (
    select
        {{ surrogate_key(['store_id']) }} as store_key,
        store_id,
        store_code,
        store_name,
        channel,
        region,
        state,
        case when has_impossible_coordinates then null else latitude end as latitude,
        case when has_impossible_coordinates then null else longitude end as longitude,
        open_dt,
        close_dt,
        {{ full_years('open_dt', 'coalesce(close_dt, ' ~ as_of_date() ~ ')') }} as age_years,
        case when close_dt is null or close_dt > {{ as_of_date() }} then 'Open' else 'Closed' end as status,
        case
            when channel = 'web' then 'Online'
            when size_third = 1 then 'Large'
            when size_third = 2 then 'Medium'
            else 'Small'
        end as size_category,
        has_impossible_coordinates,
        has_duplicate_store_code,
        false as is_unknown_member
    from sized
),

unknown_member as (
    select {{ unknown_key() }}, null, null, 'Unknown', null, 'Unknown', null, null, null, null, null, null, 'Unknown', 'Unknown', false, false, true
),

final as (
    select * from stores_sized
    union all
    select * from unknown_member
)

select * from final
