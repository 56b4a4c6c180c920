-- Silver order lines with the anomaly that needs another source: a product that is not in
-- Silver. A view, so a product that arrives late clears the flag of its earlier lines.
with order_lines as (
    select * from {{ ref('stg_orders_lines') }}
),

products as (
    select product_id from {{ ref('stg_products') }} where product_id is not null
),

final as (
    select
        order_lines.*,
        order_lines.product_id is null or order_lines.product_id not in (select product_id from products) as has_unknown_product
    from order_lines
)

select * from final
