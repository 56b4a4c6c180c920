-- SCD2 validity: for every product (and customer), versions follow each other without gaps or
-- overlaps (each valid_to is the next valid_from), the first starts at the beginning of time
-- and exactly the last one is current. Rows that break it.
with products as (
    select
        'product' as entity, product_id as id, valid_from, valid_to, is_current,
        lead(valid_from) over (partition by product_id order by valid_from) as next_from,
        row_number() over (partition by product_id order by valid_from) as n,
        count(*) over (partition by product_id) as versions
    from {{ ref('dim_product_scd') }}
    where not is_unknown_member
),
customers as (
    select
        'customer', customer_id, dbt_valid_from, coalesce(dbt_valid_to, '9999-12-31'::timestamp), dbt_valid_to is null,
        lead(dbt_valid_from) over (partition by customer_id order by dbt_valid_from),
        row_number() over (partition by customer_id order by dbt_valid_from),
        count(*) over (partition by customer_id)
    from {{ ref('customers_snapshot') }}
),
versions as (select * from products union all select * from customers)
select entity, id, valid_from, valid_to, next_from
from versions
where (n = 1 and valid_from <> '1900-01-01'::timestamp)
   or (next_from is not null and valid_to <> next_from)
   or (is_current <> (n = versions))
