-- Hourly sensor readings per store and shelf (grain: store_id, shelf_id, reading_hour):
-- averages, out-of-range counts and a rolling 24-hour average temperature.
with hourly as (
    select
        store_id,
        shelf_id,
        -- Hours since 1970 (UTC): an integer to group and frame the rolling window on.
        epoch_us(sensor_ts) // 3600000000 as hour_number,
        count(*) as readings,
        avg(temperature_c) filter (where not is_temperature_out_of_range) as avg_temperature_c,
        avg(humidity_pct) filter (where not is_humidity_out_of_range) as avg_humidity_pct,
        min(battery_mv) as min_battery_mv,
        count(*) filter (where is_out_of_range) as out_of_range_readings
    from {{ ref('stg_sensors') }}
    group by all
)

select
    -- The dimension's key by lookup (unknown member if the store is not in dim_store).
    coalesce(s.store_key, {{ unknown_key() }}) as store_key,
    {{ date_key('make_timestamp(hour_number * 3600000000)') }} as date_key,
    h.store_id,
    shelf_id,
    make_timestamptz(hour_number * 3600000000) as reading_hour,
    readings,
    round(avg_temperature_c, 3) as avg_temperature_c,
    round(avg_humidity_pct, 3) as avg_humidity_pct,
    min_battery_mv,
    out_of_range_readings,
    out_of_range_readings > 0 as has_out_of_range,
    round(avg(avg_temperature_c) over (
        partition by h.store_id, shelf_id order by hour_number range between 23 preceding and current row
    ), 3) as rolling_24h_avg_temperature_c
from hourly h
left join {{ ref('dim_store') }} s on s.store_id = h.store_id and not s.is_unknown_member
