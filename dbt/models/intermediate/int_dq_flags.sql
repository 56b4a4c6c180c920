{{ config(materialized='table') }}
-- Every row Silver flags, one per (table, anomaly kind, key), keyed the way the generator's
-- ground truth names rows. `medallion dq scorecard` scores these (with Bronze's rejects)
-- against that log. Kinds: crates/schema/src/anomaly.rs.
select 'customers' as table_name, 'malformed_email' as anomaly_kind, cast(customer_id as varchar) as anomaly_key
from {{ ref('stg_customers') }} where email is not null and not is_valid_email
union all
select 'customers', 'null_phone', cast(customer_id as varchar) from {{ ref('stg_customers') }} where is_missing_phone
union all
select 'customers', 'null_address', cast(customer_id as varchar) from {{ ref('stg_customers') }} where is_missing_address
union all
select distinct 'customers', 'duplicate_natural_key', natural_key from {{ ref('stg_customers') }} where has_duplicate_natural_key
union all
select 'products', 'invalid_price', cast(product_id as varchar) from {{ ref('stg_products') }} where is_invalid_price
union all
select 'products', 'discontinued_without_date', cast(product_id as varchar) from {{ ref('stg_products') }} where is_discontinued_without_date
union all
select 'stores', 'impossible_coordinates', cast(store_id as varchar) from {{ ref('stg_stores') }} where has_impossible_coordinates
union all
select 'stores', 'duplicate_store_code', cast(store_id as varchar) from {{ ref('stg_stores') }} where has_duplicate_store_code
union all
select 'orders_header', 'unknown_customer', cast(order_id as varchar) from {{ ref('stg_orders_header') }} where has_unknown_customer
union all
select 'orders_header', 'unknown_store', cast(order_id as varchar) from {{ ref('stg_orders_header') }} where has_unknown_store
union all
select 'orders_header', 'duplicate_order_id', cast(order_id as varchar) from {{ ref('stg_orders_header') }} where is_resent
union all
select 'orders_lines', 'unknown_product', order_id || '|' || line_number from {{ ref('stg_orders_lines') }} where has_unknown_product
union all
select 'orders_lines', 'negative_qty', order_id || '|' || line_number from {{ ref('stg_orders_lines') }} where is_negative_qty
union all
select 'orders_lines', 'zero_price', order_id || '|' || line_number from {{ ref('stg_orders_lines') }} where is_zero_price
union all
select 'sensors', 'out_of_range_reading', store_id || '|' || shelf_id || '|' || epoch_us(sensor_ts)
from {{ ref('stg_sensors') }} where is_out_of_range
union all
select 'shipments', 'in_transit', cast(shipment_id as varchar) from {{ ref('stg_shipments') }} where is_in_transit
union all
select 'shipments', 'late_delivery', cast(shipment_id as varchar) from {{ ref('stg_shipments') }} where is_late
