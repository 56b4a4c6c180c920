-- Silver and the SCD2 history agree (issue 11, point 4): each product's current version in
-- dim_product_scd is the row stg_products holds, and every Silver product has one. A late file
-- with an older version changes neither.
with current_versions as (
    select product_id, product_name, price, category, is_discontinued
    from {{ ref('dim_product_scd') }}
    where is_current and not is_unknown_member
),

silver as (
    select product_id, product_name, current_price as price, category, is_discontinued
    from {{ ref('stg_products') }}
),

differences as (
    (select 'scd2 only' as side, * from (select * from current_versions except select * from silver))
    union all
    (select 'silver only', * from (select * from silver except select * from current_versions))
)

select * from differences
