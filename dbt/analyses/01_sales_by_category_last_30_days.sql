-- Benchmark 1: net sales (AUD) by product category over the last 30 days of data.
-- "Last 30 days" is relative to the newest order, so the answer does not depend on the run date.
with last_day as (
    select max(d.date_day) as d from {{ ref('fct_sales') }} f join {{ ref('dim_date') }} d on d.date_key = f.date_key
)
select p.category, sum(f.net_amount_aud) as net_sales_aud, sum(f.quantity) as units, count(distinct f.order_number) as orders
from {{ ref('fct_sales') }} f
join {{ ref('dim_date') }} d on d.date_key = f.date_key
join {{ ref('dim_product_scd') }} p on p.product_key = f.product_key
cross join last_day
where d.date_day > last_day.d - interval 30 day
group by p.category
order by net_sales_aud desc
