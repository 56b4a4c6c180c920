{{ config(materialized='table') }}
-- Order totals derived from the Silver lines (a table, rebuilt each run: lines of an order
-- may arrive in another load than its header). Orders whose lines are all missing have no row.
-- Lines are summed first, then each order meets its header once for the shipping fee.
with line_totals as (
    select
        order_id,
        count(*) as line_count,
        sum(qty) as items,
        sum(line_total) as gross_total,
        sum(discount_amount) as discount_total,
        sum(tax_amount) as tax_total,
        sum(net_amount) as net_total,
        bool_or(has_unknown_product or is_negative_qty or is_zero_price) as has_flagged_line
    from {{ ref('stg_orders_lines') }}
    group by order_id
)

select
    t.order_id,
    t.line_count,
    t.items,
    t.gross_total,
    t.discount_total,
    t.tax_total,
    t.net_total,
    t.net_total + t.tax_total + coalesce(o.shipping_fee, 0) as order_total,
    t.has_flagged_line
from line_totals t
left join {{ ref('stg_orders_header') }} o using (order_id)
