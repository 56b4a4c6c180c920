-- Silver orders with the anomalies that need another source: a customer or store that is not
-- in Silver. A view, so the answer is always today's: a customer who arrives late clears the
-- flag of their earlier orders (an incremental model would have frozen it).
with orders as (
    select * from {{ ref('stg_orders_header') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }} where customer_id is not null
),

stores as (
    select store_id from {{ ref('stg_stores') }} where store_id is not null
),

final as (
    select
        orders.*,
        orders.customer_id is null or orders.customer_id not in (select customer_id from customers) as has_unknown_customer,
        orders.store_id is null or orders.store_id not in (select store_id from stores) as has_unknown_store
    from orders
)

select * from final
