"""Exports every table and view of the Spark build's silver and gold databases to
<out>/<database>/<name>/ as Parquet, for `medallion dq compare-export` to compare with DuckDB's
build (cargo xtask spark). Reads the same metastore and warehouse folder dbt wrote.

usage: export.py <master> <spark-warehouse-folder> <out-folder>
"""
import sys

from pyspark.sql import SparkSession

master, warehouse, out = sys.argv[1:4]
spark = (
    SparkSession.builder.master(master)
    .appName("medallion-export")
    .enableHiveSupport()
    .config("spark.sql.warehouse.dir", warehouse)
    .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={warehouse}/metastore_db;create=true")
    .config("spark.driver.extraJavaOptions", f"-Dderby.stream.error.file={warehouse}/derby.log")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    .config("spark.sql.parquet.mergeSchema", "true")
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
count = 0
for database in ("silver", "gold"):
    for relation in spark.catalog.listTables(database):
        frame = spark.table(f"{database}.`{relation.name}`")
        frame.coalesce(1).write.mode("overwrite").parquet(f"{out}/{database}/{relation.name}")
        count += 1
print(f"exported {count} relations of silver and gold to {out}")
spark.stop()
