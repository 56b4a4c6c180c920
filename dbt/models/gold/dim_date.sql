-- One row per day over the data's span (a year either side, int_date_spine), with ISO weeks,
-- fiscal periods (fiscal year starting in month var('fiscal_year_start_month'), named by the
-- year it ends), weekends, quarter boundaries and the public holidays of AU, US and UK
-- (int_public_holidays), plus the unknown member (-1).
{%- set fy = var('fiscal_year_start_month') %}
with date_spine as (
    select * from {{ ref('int_date_spine') }}
),

public_holidays as (
    select * from {{ ref('int_public_holidays') }}
),

holidays_by_day as (
    select
        holiday_dt,
        bool_or(country = 'AU') as is_holiday_au,
        bool_or(country = 'US') as is_holiday_us,
        bool_or(country = 'UK') as is_holiday_uk,
        {{ distinct_sorted_list("country || ': ' || holiday_name", '; ') }} as holiday_names
    from public_holidays
    group by holiday_dt
),

days as (
    select
        {{ date_key('date_spine.date_day') }} as date_key,
        date_spine.date_day,
        year(date_spine.date_day) as year,
        quarter(date_spine.date_day) as quarter,
        month(date_spine.date_day) as month,
        {{ month_name('date_spine.date_day') }} as month_name,
        day(date_spine.date_day) as day_of_month,
        {{ iso_weekday('date_spine.date_day') }} as iso_day_of_week,
        {{ day_name('date_spine.date_day') }} as day_name,
        {{ iso_year('date_spine.date_day') }} as iso_year,
        weekofyear(date_spine.date_day) as iso_week,
        {{ iso_weekday('date_spine.date_day') }} >= 6 as is_weekend,
        date_spine.date_day = date_trunc('quarter', date_spine.date_day) as is_quarter_start,
        date_spine.date_day = cast(date_trunc('quarter', date_spine.date_day) + interval 3 month - interval 1 day as date) as is_quarter_end,
        date_spine.date_day = date_trunc('month', date_spine.date_day) as is_month_start,
        date_spine.date_day = last_day(date_spine.date_day) as is_month_end,
        year(date_spine.date_day) + case when month(date_spine.date_day) >= {{ fy }} then 1 else 0 end as fiscal_year,
        {{ int_div('(month(date_spine.date_day) - ' ~ fy ~ ' + 12) % 12', 3) }} + 1 as fiscal_quarter,
        (month(date_spine.date_day) - {{ fy }} + 12) % 12 + 1 as fiscal_month,
        coalesce(holidays_by_day.is_holiday_au, false) as is_holiday_au,
        coalesce(holidays_by_day.is_holiday_us, false) as is_holiday_us,
        coalesce(holidays_by_day.is_holiday_uk, false) as is_holiday_uk,
        holidays_by_day.holiday_names,
        false as is_unknown_member
    from date_spine
    left join holidays_by_day on holidays_by_day.holiday_dt = date_spine.date_day
),

-- The unknown member: facts whose date is missing point at date_key -1. It has no date, so a
-- BI date table (which needs every date) takes the other rows (docs/decisions.md #68).
unknown_member as (
    select
        {{ unknown_key() }} as date_key, null::date as date_day, null::integer as year, null::integer as quarter,
        null::integer as month, 'Unknown' as month_name, null::integer as day_of_month, null::integer as iso_day_of_week,
        'Unknown' as day_name, null::integer as iso_year, null::integer as iso_week, false as is_weekend,
        false as is_quarter_start, false as is_quarter_end, false as is_month_start, false as is_month_end,
        null::integer as fiscal_year, null::integer as fiscal_quarter, null::integer as fiscal_month,
        false as is_holiday_au, false as is_holiday_us, false as is_holiday_uk, null::string as holiday_names,
        true as is_unknown_member
),

final as (
    select * from days
    union all
    select * from unknown_member
)

select * from final
