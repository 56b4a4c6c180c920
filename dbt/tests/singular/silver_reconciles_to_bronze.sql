-- Silver holds every distinct Bronze key exactly once (the documented dedup: latest load of a
-- key wins); nothing else is dropped. One row per table that disagrees.
{% set pairs = [
    ('orders_header', 'stg_orders_header', 'order_id'),
    ('orders_lines', 'stg_orders_lines', 'order_id, line_number'),
    ('shipments', 'stg_shipments', 'shipment_id'),
    ('sensors', 'stg_sensors', 'store_id, shelf_id, sensor_ts'),
    ('returns', 'stg_returns', 'return_id'),
    ('customers', 'stg_customers', 'customer_id'),
    ('products', 'stg_products', 'product_id'),
] %}
{% for bronze, silver, key in pairs %}
select '{{ silver }}' as model, b.n as bronze_keys, s.n as silver_rows
from (select count(*) as n from (select distinct {{ key }} from {{ source('bronze', bronze) }})) b,
     (select count(*) as n from {{ ref(silver) }}) s
where b.n <> s.n
{% if not loop.last %}union all{% endif %}
{% endfor %}
