{#- Combinations of the columns that occur more than once: the grain test of a table whose rows
    are identified by several columns (a fact without a key column of its own). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as copies
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
