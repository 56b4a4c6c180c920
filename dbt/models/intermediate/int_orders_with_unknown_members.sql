-- The orders whose customer or store is not in Silver (anomalies unknown_customer and
-- unknown_store), one row per such order. A view, so the answer is always today's: a customer
-- who arrives late clears the flag of their earlier orders (an incremental model would have
-- frozen it), and an incremental build agrees with a full refresh.
with orders as (
    select * from {{ ref('stg_orders_header') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }} where customer_id is not null
),

stores as (
    select store_id from {{ ref('stg_stores') }} where store_id is not null
),

checked as (
    select
        order_id,
        customer_id is null or customer_id not in (select customer_id from customers) as has_unknown_customer,
        store_id is null or store_id not in (select store_id from stores) as has_unknown_store
    from orders
),

final as (
    select * from checked where has_unknown_customer or has_unknown_store
)

select * from final
