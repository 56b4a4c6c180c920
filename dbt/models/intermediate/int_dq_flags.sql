{{ config(materialized='table') }}
-- Every row Silver flags, one per (table, anomaly kind, key), keyed the way the generator's
-- ground truth names rows. `medallion dq scorecard` scores these (with Bronze's rejects)
-- against that log. Kinds: crates/schema/src/anomaly.rs.
with customers as (
    select * from {{ ref('stg_customers') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

stores as (
    select * from {{ ref('stg_stores') }}
),

orders as (
    select * from {{ ref('stg_orders_header') }}
),

orders_with_unknown_members as (
    select * from {{ ref('int_orders_with_unknown_members') }}
),

order_lines as (
    select * from {{ ref('stg_orders_lines') }}
),

lines_with_unknown_product as (
    select * from {{ ref('int_order_lines_with_unknown_product') }}
),

sensor_readings as (
    select * from {{ ref('stg_sensors') }}
),

shipments as (
    select * from {{ ref('stg_shipments') }}
),

final as (
    select 'customers' as table_name, 'malformed_email' as anomaly_kind, cast(customer_id as string) as anomaly_key
    from customers where email is not null and not is_valid_email
    union all
    select 'customers', 'null_phone', cast(customer_id as string) from customers where is_missing_phone
    union all
    select 'customers', 'null_address', cast(customer_id as string) from customers where is_missing_address
    union all
    select distinct 'customers', 'duplicate_natural_key', natural_key from customers where has_duplicate_natural_key
    union all
    select 'products', 'invalid_price', cast(product_id as string) from products where is_invalid_price
    union all
    select 'products', 'discontinued_without_date', cast(product_id as string) from products where is_discontinued_without_date
    union all
    select 'stores', 'impossible_coordinates', cast(store_id as string) from stores where has_impossible_coordinates
    union all
    select 'stores', 'duplicate_store_code', cast(store_id as string) from stores where has_duplicate_store_code
    union all
    select 'orders_header', 'unknown_customer', cast(order_id as string) from orders_with_unknown_members where has_unknown_customer
    union all
    select 'orders_header', 'unknown_store', cast(order_id as string) from orders_with_unknown_members where has_unknown_store
    union all
    select 'orders_header', 'duplicate_order_id', cast(order_id as string) from orders where is_resent
    union all
    select 'orders_lines', 'unknown_product', order_id || '|' || line_number from lines_with_unknown_product
    union all
    select 'orders_lines', 'negative_qty', order_id || '|' || line_number from order_lines where is_negative_qty
    union all
    select 'orders_lines', 'zero_price', order_id || '|' || line_number from order_lines where is_zero_price
    union all
    select 'sensors', 'out_of_range_reading', store_id || '|' || shelf_id || '|' || {{ epoch_us('sensor_ts') }}
    from sensor_readings where is_out_of_range
    union all
    select 'shipments', 'in_transit', cast(shipment_id as string) from shipments where is_in_transit
    union all
    select 'shipments', 'late_delivery', cast(shipment_id as string) from shipments where is_late
)

select * from final
