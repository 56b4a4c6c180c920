-- Benchmark 5: share of sensor readings out of physical range, per store.
select
    s.store_id, s.store_name,
    sum(f.readings) as readings,
    sum(f.out_of_range_readings) as out_of_range,
    round(sum(f.out_of_range_readings) / nullif(sum(f.readings), 0), 6) as anomaly_rate
from {{ ref('fct_sensor_readings') }} f
join {{ ref('dim_store') }} s on s.store_key = f.store_key
group by all
order by anomaly_rate desc
