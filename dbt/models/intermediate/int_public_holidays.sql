-- National public holidays of AU, US (federal) and UK (England and Wales), one row per
-- (day, country, holiday), for every year of the date spine: fixed dates, Easter-based days,
-- n-th and last weekdays, the days off given when a fixed holiday falls on a weekend (AU and
-- UK: the next free weekday; US: observed on the Friday before or the Monday after), and the
-- one-off holidays of seed one_off_public_holidays (which can replace a rule's day).
with date_spine as (
    select * from {{ ref('int_date_spine') }}
),

one_off_holidays as (
    select * from {{ ref('one_off_public_holidays') }}
),

years as (
    select distinct year(date_day) as y from date_spine
),

easter as (
    {{ easter_sundays('years') }}
),

by_rule as (
    -- Australia (national days).
    select make_date(y, 1, 1) as holiday_dt, 'AU' as country, 'New Year''s Day' as holiday_name, 'next_monday' as weekend_rule from years
    union all select make_date(y, 1, 26), 'AU', 'Australia Day', 'next_monday' from years
    union all select easter_sunday - 2, 'AU', 'Good Friday', null from easter
    union all select easter_sunday + 1, 'AU', 'Easter Monday', null from easter
    union all select make_date(y, 4, 25), 'AU', 'Anzac Day', null from years
    union all select {{ nth_weekday('y', 6, 1, 2) }}, 'AU', case when y >= 2023 then 'King''s Birthday' else 'Queen''s Birthday' end, null from years
    union all select make_date(y, 12, 25), 'AU', 'Christmas Day', 'two_days_later' from years
    union all select make_date(y, 12, 26), 'AU', 'Boxing Day', 'two_days_later' from years
    -- United States (federal holidays).
    union all select make_date(y, 1, 1), 'US', 'New Year''s Day', 'nearest_weekday' from years
    union all select {{ nth_weekday('y', 1, 1, 3) }}, 'US', 'Martin Luther King Jr. Day', null from years
    union all select {{ nth_weekday('y', 2, 1, 3) }}, 'US', 'Presidents'' Day', null from years
    union all select {{ last_weekday('y', 5, 1) }}, 'US', 'Memorial Day', null from years
    union all select make_date(y, 6, 19), 'US', 'Juneteenth', 'nearest_weekday' from years where y >= 2021
    union all select make_date(y, 7, 4), 'US', 'Independence Day', 'nearest_weekday' from years
    union all select {{ nth_weekday('y', 9, 1, 1) }}, 'US', 'Labor Day', null from years
    union all select {{ nth_weekday('y', 10, 1, 2) }}, 'US', 'Columbus Day', null from years
    union all select make_date(y, 11, 11), 'US', 'Veterans Day', 'nearest_weekday' from years
    union all select {{ nth_weekday('y', 11, 4, 4) }}, 'US', 'Thanksgiving Day', null from years
    union all select make_date(y, 12, 25), 'US', 'Christmas Day', 'nearest_weekday' from years
    -- United Kingdom (England and Wales bank holidays).
    union all select make_date(y, 1, 1), 'UK', 'New Year''s Day', 'next_monday' from years
    union all select easter_sunday - 2, 'UK', 'Good Friday', null from easter
    union all select easter_sunday + 1, 'UK', 'Easter Monday', null from easter
    union all select {{ nth_weekday('y', 5, 1, 1) }}, 'UK', 'Early May Bank Holiday', null from years
    union all select {{ last_weekday('y', 5, 1) }}, 'UK', 'Spring Bank Holiday', null from years
    union all select {{ last_weekday('y', 8, 1) }}, 'UK', 'Summer Bank Holiday', null from years
    union all select make_date(y, 12, 25), 'UK', 'Christmas Day', 'two_days_later' from years
    union all select make_date(y, 12, 26), 'UK', 'Boxing Day', 'two_days_later' from years
),

-- A fixed holiday on a Saturday or Sunday gives a weekday off. Christmas and Boxing Day both
-- move two days on (a Saturday Christmas is taken on Monday, Boxing Day on Tuesday).
days_off_for_weekends as (
    select
        case
            when weekend_rule = 'next_monday' then holiday_dt + case {{ iso_weekday('holiday_dt') }} when 6 then 2 else 1 end
            when weekend_rule = 'two_days_later' then holiday_dt + 2
            when weekend_rule = 'nearest_weekday' then holiday_dt + case {{ iso_weekday('holiday_dt') }} when 6 then -1 else 1 end
        end as holiday_dt,
        country,
        holiday_name || case when country = 'US' then ' (observed)' else ' (substitute day)' end as holiday_name
    from by_rule
    where weekend_rule is not null and {{ iso_weekday('holiday_dt') }} >= 6
),

rule_days_kept as (
    select by_rule.holiday_dt, by_rule.country, by_rule.holiday_name
    from by_rule
    anti join one_off_holidays on one_off_holidays.replaces_dt = by_rule.holiday_dt and one_off_holidays.country = by_rule.country
),

final as (
    select * from rule_days_kept
    union all
    select * from days_off_for_weekends
    union all
    select cast(holiday_dt as date), country, holiday_name
    from one_off_holidays
    where year(holiday_dt) in (select y from years)
)

select * from final
