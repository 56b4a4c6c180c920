-- Hourly sensor readings per store and shelf (grain: store_id, shelf_id, reading_hour):
-- averages, out-of-range counts and a rolling 24-hour average temperature.
with sensor_readings as (
    select * from {{ ref('stg_sensors') }}
),

stores as (
    select * from {{ ref('dim_store') }} where not is_unknown_member
),

hourly as (
    select
        store_id,
        shelf_id,
        -- Hours since 1970 (UTC): an integer to group and frame the rolling window on.
        {{ int_div(epoch_us('sensor_ts'), 3600000000) }} as hour_number,
        count(*) as readings,
        avg(temperature_c) filter (where not is_temperature_out_of_range) as avg_temperature_c,
        avg(humidity_pct) filter (where not is_humidity_out_of_range) as avg_humidity_pct,
        min(battery_mv) as min_battery_mv,
        count(*) filter (where is_out_of_range) as out_of_range_readings
    from sensor_readings
    group by all
),

final as (
    select
        -- The dimension's key by lookup (unknown member if the store is not in dim_store).
        coalesce(stores.store_key, {{ unknown_key() }}) as store_key,
        {{ date_key(timestamp_from_epoch_us('hourly.hour_number * 3600000000')) }} as date_key,
        hourly.store_id,
        hourly.shelf_id,
        {{ timestamptz_from_epoch_us('hourly.hour_number * 3600000000') }} as reading_hour,
        hourly.readings,
        round(hourly.avg_temperature_c, 3) as avg_temperature_c,
        round(hourly.avg_humidity_pct, 3) as avg_humidity_pct,
        hourly.min_battery_mv,
        hourly.out_of_range_readings,
        hourly.out_of_range_readings > 0 as has_out_of_range,
        round(avg(hourly.avg_temperature_c) over (
            partition by hourly.store_id, hourly.shelf_id order by hourly.hour_number range between 23 preceding and current row
        ), 3) as rolling_24h_avg_temperature_c
    from hourly
    left join stores on stores.store_id = hourly.store_id
)

select * from final
