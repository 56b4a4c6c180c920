{#- Rows whose value lies outside [min_value, max_value] (nulls pass). Used for discount
    percentages and coordinates. -#}
{% test value_in_range(model, column_name, min_value, max_value) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
