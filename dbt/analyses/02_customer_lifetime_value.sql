-- Benchmark 2: customer lifetime value: net sales (AUD), orders and tenure per customer,
-- top 100 by value.
select
    c.customer_id,
    c.segment,
    count(distinct f.order_number) as orders,
    sum(f.net_amount_aud) as lifetime_value_aud,
    min(f.order_ts) as first_order_ts,
    max(f.order_ts) as last_order_ts
from {{ ref('fct_sales') }} f
join {{ ref('dim_customer') }} c on c.customer_key = f.customer_key
where not c.is_unknown_member
group by c.customer_id, c.segment
order by lifetime_value_aud desc
limit 100
