-- The order lines whose product is not in Silver (anomaly unknown_product), one row per such
-- line. A view, so a product that arrives late clears the flag of its earlier lines.
with order_lines as (
    select * from {{ ref('stg_orders_lines') }}
),

products as (
    select product_id from {{ ref('stg_products') }} where product_id is not null
),

final as (
    select order_id, line_number, product_id
    from order_lines
    where product_id is null or product_id not in (select product_id from products)
)

select * from final
