-- Order totals derived from the Silver lines (a table, rebuilt each run: lines of an order
-- may arrive in another load than its header). Orders whose lines are all missing have no row.
select
    l.order_id,
    count(*) as line_count,
    sum(l.qty) as items,
    sum(l.line_total) as gross_total,
    sum(l.discount_amount) as discount_total,
    sum(l.tax_amount) as tax_total,
    sum(l.net_amount) as net_total,
    sum(l.net_amount) + sum(l.tax_amount) + coalesce(any_value(o.shipping_fee), 0) as order_total,
    bool_or(l.has_unknown_product or l.is_negative_qty or l.is_zero_price) as has_flagged_line
from {{ ref('stg_orders_lines') }} l
left join {{ ref('stg_orders_header') }} o using (order_id)
group by l.order_id
