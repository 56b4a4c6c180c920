{{
    config(
        materialized=incremental_materialization(),
        unique_key=['store_id', 'shelf_id', 'sensor_ts'],
        incremental_strategy=incremental_strategy(),
        on_schema_change='append_new_columns'
    )
}}
-- Shelf sensor readings. Readings outside the physical range are flagged (is_out_of_range)
-- and kept; readings without a timestamp were rejected at Bronze.
{%- set t = var('temperature_range_c') %}
{%- set h = var('humidity_range_pct') %}
with bronze_readings as (
    select * from {{ source('bronze', 'sensors') }}
),

rows_to_build as (
    {{ bronze_rows_to_build('bronze_readings', ['store_id', 'shelf_id', 'sensor_ts']) }}
),

latest as (
    {{ latest_rows('rows_to_build', ['store_id', 'shelf_id', 'sensor_ts']) }}
),

final as (
    select
        sensor_ts,
        store_id,
        trim(shelf_id) as shelf_id,
        temperature_c,
        humidity_pct,
        battery_mv,
        not coalesce(temperature_c between {{ t[0] }} and {{ t[1] }}, true) as is_temperature_out_of_range,
        not coalesce(humidity_pct between {{ h[0] }} and {{ h[1] }}, true) as is_humidity_out_of_range,
        not coalesce(temperature_c between {{ t[0] }} and {{ t[1] }}, true)
            or not coalesce(humidity_pct between {{ h[0] }} and {{ h[1] }}, true) as is_out_of_range,
        -- A reading without a value is kept and flagged; it is not out of range (nothing to judge).
        temperature_c is null or humidity_pct is null as is_missing_reading,
        ingestion_ts
    from latest
)

select * from final
