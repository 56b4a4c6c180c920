{#- Calendar helpers for dim_date. -#}

{#- Easter Sunday of every year `y` in relation `years_relation` (anonymous Gregorian
    algorithm): a query giving (y, easter_sunday). -#}
{% macro easter_sundays(years_relation) -%}
    select y, make_date(y, {{ int_div('h + l - 7 * m + 114', 31) }}, (h + l - 7 * m + 114) % 31 + 1) as easter_sunday
    from (
        select *, {{ int_div('a + 11 * h + 22 * l', 451) }} as m
        from (
            select *, (32 + 2 * e + 2 * i - h - k) % 7 as l
            from (
                select *, (19 * a + b - d - g + 15) % 30 as h, {{ int_div('c', 4) }} as i, c % 4 as k
                from (
                    select *, {{ int_div('b - f + 1', 3) }} as g
                    from (
                        select *, {{ int_div('b', 4) }} as d, b % 4 as e, {{ int_div('b + 8', 25) }} as f
                        from (select y, y % 19 as a, {{ int_div('y', 100) }} as b, y % 100 as c from {{ years_relation }})
                    )
                )
            )
        )
    )
{%- endmacro %}

{#- The n-th (1-based) ISO weekday (1 = Monday) of a month. -#}
{% macro nth_weekday(year, month, isodow, n) -%}
    (make_date({{ year }}, {{ month }}, 1) + cast(((7 + {{ isodow }} - {{ iso_weekday('make_date(' ~ year ~ ', ' ~ month ~ ', 1)') }}) % 7 + 7 * ({{ n }} - 1)) as integer))
{%- endmacro %}

{#- The last ISO weekday (1 = Monday) of a month. -#}
{% macro last_weekday(year, month, isodow) -%}
    (last_day(make_date({{ year }}, {{ month }}, 1)) - cast(((7 + {{ iso_weekday('last_day(make_date(' ~ year ~ ', ' ~ month ~ ', 1))') }} - {{ isodow }}) % 7) as integer))
{%- endmacro %}
