-- Benchmark 4: product performance: units sold, net sales (AUD), units returned and return rate.
with sold as (
    select p.product_id, any_value(p.product_name) as product_name, sum(f.quantity) as units_sold, sum(f.net_amount_aud) as net_sales_aud
    from {{ ref('fct_sales') }} f
    join {{ ref('dim_product_scd') }} p on p.product_key = f.product_key
    where not p.is_unknown_member and not f.is_negative_qty
    group by p.product_id
),
returned as (
    select p.product_id, sum(r.quantity) as units_returned
    from {{ ref('fct_returns') }} r
    join {{ ref('dim_product_scd') }} p on p.product_key = r.product_key
    group by p.product_id
)
select s.*, coalesce(r.units_returned, 0) as units_returned,
    round(coalesce(r.units_returned, 0) / nullif(s.units_sold, 0), 4) as return_rate
from sold s left join returned r using (product_id)
order by net_sales_aud desc
