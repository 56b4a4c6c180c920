-- One row per day over the data's span (a year either side), with ISO weeks, fiscal periods
-- (fiscal year starting in month var('fiscal_year_start_month'), named by the year it ends),
-- weekends, quarter boundaries and public holidays of AU, US and UK (national days; substitute
-- days when a holiday falls on a weekend are not modelled).
{%- set fy = var('fiscal_year_start_month') %}
with bounds as (
    select
        make_date(year(min(order_dt_local)) - 1, 1, 1) as first_day,
        make_date(year(max(order_dt_local)) + 1, 12, 31) as last_day
    from {{ ref('stg_orders_header') }}
),

days as (
    select cast(d as date) as date_day
    from bounds, generate_series(first_day, last_day, interval 1 day) as t(d)
),

years as (
    select distinct year(date_day) as y from days
),

easter as (
    {{ easter_sundays('years') }}
),

holidays as (
    select make_date(y, 1, 1) as holiday_dt, 'AU' as country, 'New Year''s Day' as holiday_name from years
    union all select make_date(y, 1, 26), 'AU', 'Australia Day' from years
    union all select easter_sunday - 2, 'AU', 'Good Friday' from easter
    union all select easter_sunday + 1, 'AU', 'Easter Monday' from easter
    union all select make_date(y, 4, 25), 'AU', 'Anzac Day' from years
    union all select {{ nth_weekday('y', 6, 1, 2) }}, 'AU', 'King''s Birthday' from years
    union all select make_date(y, 12, 25), 'AU', 'Christmas Day' from years
    union all select make_date(y, 12, 26), 'AU', 'Boxing Day' from years
    union all select make_date(y, 1, 1), 'US', 'New Year''s Day' from years
    union all select {{ nth_weekday('y', 1, 1, 3) }}, 'US', 'Martin Luther King Jr. Day' from years
    union all select {{ last_weekday('y', 5, 1) }}, 'US', 'Memorial Day' from years
    union all select make_date(y, 7, 4), 'US', 'Independence Day' from years
    union all select {{ nth_weekday('y', 9, 1, 1) }}, 'US', 'Labor Day' from years
    union all select {{ nth_weekday('y', 11, 4, 4) }}, 'US', 'Thanksgiving Day' from years
    union all select make_date(y, 12, 25), 'US', 'Christmas Day' from years
    union all select make_date(y, 1, 1), 'UK', 'New Year''s Day' from years
    union all select easter_sunday - 2, 'UK', 'Good Friday' from easter
    union all select easter_sunday + 1, 'UK', 'Easter Monday' from easter
    union all select {{ nth_weekday('y', 5, 1, 1) }}, 'UK', 'Early May Bank Holiday' from years
    union all select {{ last_weekday('y', 5, 1) }}, 'UK', 'Spring Bank Holiday' from years
    union all select {{ last_weekday('y', 8, 1) }}, 'UK', 'Summer Bank Holiday' from years
    union all select make_date(y, 12, 25), 'UK', 'Christmas Day' from years
    union all select make_date(y, 12, 26), 'UK', 'Boxing Day' from years
),

by_day as (
    select
        holiday_dt,
        bool_or(country = 'AU') as is_holiday_au,
        bool_or(country = 'US') as is_holiday_us,
        bool_or(country = 'UK') as is_holiday_uk,
        string_agg(distinct country || ': ' || holiday_name, '; ' order by country || ': ' || holiday_name) as holiday_names
    from holidays
    group by holiday_dt
)

select
    {{ date_key('d.date_day') }} as date_key,
    d.date_day,
    year(d.date_day) as year,
    quarter(d.date_day) as quarter,
    month(d.date_day) as month,
    monthname(d.date_day) as month_name,
    day(d.date_day) as day_of_month,
    isodow(d.date_day) as iso_day_of_week,
    dayname(d.date_day) as day_name,
    isoyear(d.date_day) as iso_year,
    weekofyear(d.date_day) as iso_week,
    isodow(d.date_day) >= 6 as is_weekend,
    d.date_day = date_trunc('quarter', d.date_day) as is_quarter_start,
    d.date_day = cast(date_trunc('quarter', d.date_day) + interval 3 month - interval 1 day as date) as is_quarter_end,
    d.date_day = date_trunc('month', d.date_day) as is_month_start,
    d.date_day = last_day(d.date_day) as is_month_end,
    year(d.date_day) + case when month(d.date_day) >= {{ fy }} then 1 else 0 end as fiscal_year,
    ((month(d.date_day) - {{ fy }} + 12) % 12) // 3 + 1 as fiscal_quarter,
    (month(d.date_day) - {{ fy }} + 12) % 12 + 1 as fiscal_month,
    coalesce(h.is_holiday_au, false) as is_holiday_au,
    coalesce(h.is_holiday_us, false) as is_holiday_us,
    coalesce(h.is_holiday_uk, false) as is_holiday_uk,
    h.holiday_names
from days d
left join by_day h on h.holiday_dt = d.date_day
