{#- Combinations of the columns that occur more than once: the grain test of a table whose rows
    are identified by several columns (a fact without a key column of its own). `quote_columns`:
    the names are quoted the engine's way (names with spaces, as in the business views). -#}
{% test unique_combination(model, columns, quote_columns=false) %}
{%- set names -%}
    {% for c in columns %}{{ adapter.quote(c) if quote_columns else c }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endset -%}
select {{ names }}, count(*) as copies
from {{ model }}
group by {{ names }}
having count(*) > 1
{% endtest %}
