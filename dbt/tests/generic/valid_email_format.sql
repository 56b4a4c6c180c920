{#- Rows whose email is present but malformed. Meant with a warn severity on the raw email:
    malformed emails are an expected, flagged anomaly (is_valid_email). -#}
{% test valid_email_format(model, column_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null and not {{ is_valid_email(column_name) }}
{% endtest %}
