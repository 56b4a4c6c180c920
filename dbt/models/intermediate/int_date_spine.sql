-- One row per day over the data's span, a whole calendar year either side of the first and
-- last local order dates: the days dim_date describes.
with order_dates as (
    select order_dt_local from {{ ref('stg_orders_header') }}
),

bounds as (
    select
        make_date(year(min(order_dt_local)) - 1, 1, 1) as first_day,
        make_date(year(max(order_dt_local)) + 1, 12, 31) as last_day
    from order_dates
),

final as (
    {{ day_series('bounds', 'first_day', 'last_day') }}
)

select * from final
