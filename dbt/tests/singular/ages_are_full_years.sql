-- Ages are completed years: someone born on 2000-06-15 is 23 on 2024-06-14 and 24 from
-- 2024-06-15 (`date_diff('year', …)` counts year boundaries and says 24 on 2024-01-01).
-- Rows whose age at joining is not the completed years between birth and joining.
with customers as (
    select
        customer_id,
        birth_date,
        {{ utc_date('join_ts') }} as join_date,
        age_at_join_years
    from {{ ref('stg_customers') }}
    where birth_date is not null and join_ts is not null
),

expected as (
    select
        *,
        year(join_date) - year(birth_date)
        - case
            when month(join_date) * 100 + day(join_date) < month(birth_date) * 100 + day(birth_date) then 1
            else 0
        end as completed_years
    from customers
)

select customer_id, birth_date, join_date, age_at_join_years, completed_years
from expected
where age_at_join_years is distinct from completed_years
