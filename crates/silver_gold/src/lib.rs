//! Silver and Gold through the dbt project in `dbt/` (issues 4 and 5): not implemented yet.
