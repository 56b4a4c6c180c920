//! Rows as Arrow record batches of the canonical schemas, ready for DataFusion, Polars or a
//! Parquet writer: a day of sensor readings and the customers table.
//!
//! cargo run -p medallion-gen --no-default-features --example arrow_batches

use medallion_gen::ArrowBatches;
use medallion_gen::dims::Customers;
use medallion_gen::model::Model;
use medallion_gen::sensors::{SensorReadings, sensor_stores};
use medallion_gen::text::parse_date;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let day = parse_date("2024-06-01").expect("a valid date");
    let model = Model::new(42, 0.1, day + 1);
    let (store, shelves) = sensor_stores(&model)[0];
    let readings = ArrowBatches::new(SensorReadings::new(&model, store, shelves, day, day + 1), 100);
    println!("sensors schema: {:?}", readings.schema().fields().iter().map(|f| f.name()).collect::<Vec<_>>());
    for batch in readings {
        let batch = batch?;
        println!("  a batch of {} readings", batch.num_rows());
    }
    let customers = ArrowBatches::new(Customers::new(&model), 4096);
    let total: usize = customers.map(|b| b.map(|b| b.num_rows())).sum::<Result<usize, _>>()?;
    println!("{total} customers (duplicate-person records included) in batches of 4096");
    Ok(())
}
