{#- Snapshots on Spark. dbt-spark's snapshot merges new versions in, which needs a table format
    with row-level updates (Delta, Iceberg, Hudi), and refuses plain Parquet. This keeps its
    materialization for those formats and, on Parquet (the local test cluster, which cannot
    fetch Delta Lake's jars), rewrites the snapshot with the same result: dbt's own staging rows
    (dbt_change_type insert / update / delete), current versions closed where the staging rows
    say so, new versions appended, the whole written to a side table and copied back. -#}
{% materialization snapshot, adapter='spark' %}
  {%- set file_format = config.get('file_format') or 'parquet' -%}
  {%- if file_format in ['delta', 'iceberg', 'hudi'] -%}
    {{ return(dbt.materialization_snapshot_spark()) }}
  {%- endif -%}

  {%- set strategy_name = config.get('strategy') -%}
  {% set target_relation_exists, target_relation = get_or_create_relation(
          database=none, schema=model.schema, identifier=model.get('alias', model.get('name')), type='table') -%}
  {% if not adapter.check_schema_exists(model.database, model.schema) %}
    {% do create_schema(model.schema) %}
  {% endif %}

  {{ run_hooks(pre_hooks) }}
  {% set strategy_macro = strategy_dispatch(strategy_name) %}
  {% set strategy = strategy_macro(model, "snapshotted_data", "source_data", model['config'], target_relation_exists) %}

  {% if not target_relation_exists %}
    {% set final_sql = create_table_as(False, target_relation, build_snapshot_table(strategy, model['compiled_code'])) %}
  {% else %}
    {% set columns = config.get("snapshot_table_column_names") or get_snapshot_table_column_names() %}
    {% set staging_table = spark_build_snapshot_staging_table(strategy, sql, target_relation) %}
    {% set names = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list %}
    {% set rewrite = api.Relation.create(schema=model.schema, identifier=target_relation.identifier ~ '__dbt_rewrite', type='table') %}
    {% call statement('rewrite_snapshot') %}
      {{ create_table_as(False, rewrite, spark_parquet_snapshot_rows(target_relation, staging_table, names, columns)) }}
    {% endcall %}
    {% set final_sql %}insert overwrite table {{ target_relation }} select * from {{ rewrite }}{% endset %}
  {% endif %}

  {% call statement('main') %}
    {{ final_sql }}
  {% endcall %}
  {% if rewrite is defined %}
    {% do adapter.drop_relation(rewrite) %}
    {% do adapter.drop_relation(staging_table) %}
  {% endif %}
  {% do persist_docs(target_relation, model) %}
  {{ run_hooks(post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- The snapshot after this run: every stored version (the current ones closed where a staging
    row updates or deletes them, as dbt-spark's merge does) and the staging rows to insert. -#}
{% macro spark_parquet_snapshot_rows(target_relation, staging_table, names, columns) %}
    select
        {% for name in names -%}
        {% if name == columns.dbt_valid_to -%}
        case when closing.{{ columns.dbt_scd_id }} is not null then closing.{{ name }} else stored.{{ name }} end as {{ name }}
        {%- else -%}
        stored.{{ name }}
        {%- endif %}{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ target_relation }} as stored
    left join (
        select {{ columns.dbt_scd_id }}, {{ columns.dbt_valid_to }}
        from {{ staging_table }}
        where dbt_change_type in ('update', 'delete')
    ) as closing
        on closing.{{ columns.dbt_scd_id }} = stored.{{ columns.dbt_scd_id }}
        and stored.{{ columns.dbt_valid_to }} is null
    union all
    select {{ names | join(', ') }}
    from {{ staging_table }}
    where dbt_change_type = 'insert'
{% endmacro %}
