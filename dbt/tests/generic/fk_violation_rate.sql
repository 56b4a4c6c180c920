{#- The share of rows whose foreign key has no parent, in basis points: warns from
    var('fk_violation_warn_rate'), fails from var('fk_violation_error_rate') (the SPEC's 1.5 %).
    It always returns one row, so on clean data the failure count is 0, not NULL (dbt refuses a
    NULL count). -#}
{% test fk_violation_rate(model, column_name, to, field) %}
{{ config(
    warn_if='>=' ~ (var('fk_violation_warn_rate') * 10000) | round | int,
    error_if='>=' ~ (var('fk_violation_error_rate') * 10000) | round | int,
    fail_calc='max(violation_bp)'
) }}
with children as (
    select {{ column_name }} as parent_key from {{ model }}
),

parents as (
    select {{ field }} as parent_key from {{ to }}
),

stats as (
    select
        count(*) as total,
        count(*) filter (where children.parent_key is null or parents.parent_key is null) as violations
    from children
    left join parents on parents.parent_key = children.parent_key
)

select
    coalesce(cast(round(10000.0 * violations / nullif(total, 0)) as integer), 0) as violation_bp,
    violations,
    total
from stats
{% endtest %}
