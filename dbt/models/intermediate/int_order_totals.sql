{{ config(materialized='table') }}
-- Order totals derived from the Silver lines (a table, rebuilt each run: lines of an order
-- may arrive in another load than its header). Orders whose lines are all missing have no row.
-- Lines are summed first, then each order meets its header once for the shipping fee.
with order_lines as (
    select * from {{ ref('stg_orders_lines') }}
),

lines_with_unknown_product as (
    select * from {{ ref('int_order_lines_with_unknown_product') }}
),

orders as (
    select * from {{ ref('stg_orders_header') }}
),

line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(qty) as items,
        sum(line_total) as gross_total,
        sum(discount_amount) as discount_total,
        sum(tax_amount) as tax_total,
        sum(net_amount) as net_total,
        bool_or(lines_with_unknown_product.order_id is not null or is_negative_qty or is_zero_price) as has_flagged_line
    from order_lines
    left join lines_with_unknown_product using (order_id, line_number)
    group by order_id
),

final as (
    select
        line_totals.order_id,
        line_totals.line_count,
        line_totals.items,
        line_totals.gross_total,
        line_totals.discount_total,
        line_totals.tax_total,
        line_totals.net_total,
        line_totals.net_total + line_totals.tax_total + coalesce(orders.shipping_fee, 0) as order_total,
        line_totals.has_flagged_line
    from line_totals
    left join orders using (order_id)
)

select * from final
