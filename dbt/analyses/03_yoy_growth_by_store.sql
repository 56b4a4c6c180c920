-- Benchmark 3: year-over-year growth of net sales (AUD) per store.
with yearly as (
    select s.store_id, s.store_name, d.year, sum(f.net_amount_aud) as net_sales_aud
    from {{ ref('fct_sales') }} f
    join {{ ref('dim_store') }} s on s.store_key = f.store_key
    join {{ ref('dim_date') }} d on d.date_key = f.date_key
    where not s.is_unknown_member
    group by all
)
select
    store_id, store_name, year, net_sales_aud,
    lag(net_sales_aud) over (partition by store_id order by year) as previous_year_aud,
    round(net_sales_aud / nullif(lag(net_sales_aud) over (partition by store_id order by year), 0) - 1, 4) as yoy_growth
from yearly
order by store_id, year
