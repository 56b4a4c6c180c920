{#- Fails (one row) when the share of rows whose foreign key has no parent exceeds the
    thresholds: warn above var('fk_violation_warn_rate'), error above
    var('fk_violation_error_rate'). The row count returned is the violation rate in basis
    points, so warn_if / error_if compare against it. -#}
{% test fk_violation_rate(model, column_name, to, field) %}
{{ config(
    warn_if='>' ~ (var('fk_violation_warn_rate') * 10000) | int,
    error_if='>' ~ (var('fk_violation_error_rate') * 10000) | int,
    fail_calc='max(violation_bp)'
) }}
with stats as (
    select
        count(*) as total,
        count(*) filter (where c.{{ column_name }} is null or p.{{ field }} is null) as violations
    from {{ model }} c
    left join {{ to }} p on p.{{ field }} = c.{{ column_name }}
)
select cast(round(10000.0 * violations / nullif(total, 0)) as integer) as violation_bp, violations, total
from stats
where violations > 0
{% endtest %}
