//! The dimension files: customers, products, stores and suppliers (CSV), full snapshots in a
//! base run and changes in an increment.

use medallion_schema::{PathVars, Table, render_path};

use super::sink::TextSink;
use super::{Ctx, UnitOutput};
use crate::dims::{
    CustomerChanges, Customers, ProductChanges, Products, Stores, Suppliers, push_customer, push_product, push_store, push_supplier,
};
use crate::text::{Day, date_string};
use crate::{GenError, Generated, SourceRow};

/// Writes `rows` as the CSV file `rel` of their table, recording each marked row's position.
fn write_csv<R: SourceRow>(
    ctx: &Ctx<'_>,
    out: &mut UnitOutput,
    rel: String,
    rows: impl Iterator<Item = Generated<R>>,
    encode: fn(&mut Vec<u8>, &R),
) -> Result<(), GenError> {
    let mut sink = TextSink::csv(&ctx.cfg.out, rel, R::TABLE)?;
    for Generated { row, mark } in rows {
        if let Some(mark) = mark {
            out.truth.push(R::TABLE, mark.code(), row.truth_key(mark), &sink.rel, sink.next_line_no());
        }
        encode(&mut sink.line, &row);
        sink.end_line()?;
    }
    out.close(ctx, R::TABLE, sink)
}

/// `customers.csv`.
pub fn write_customers(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    write_csv(ctx, out, Table::Customers.raw().path.clone(), Customers::new(ctx.model), push_customer)
}

/// The increment's address changes, `customers_increments/<from>_<to>.csv`.
pub fn write_customer_changes(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let rel = increment_path(Table::Customers, ctx.cfg.start, ctx.cfg.end())?;
    write_csv(ctx, out, rel, CustomerChanges::new(ctx.model, ctx.cfg.start), push_customer)
}

/// `products.csv`.
pub fn write_products(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    write_csv(ctx, out, Table::Products.raw().path.clone(), Products::new(ctx.model), push_product)
}

/// The increment's price changes, `products_increments/<from>_<to>.csv`.
pub fn write_product_changes(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    let rel = increment_path(Table::Products, ctx.cfg.start, ctx.cfg.end())?;
    write_csv(ctx, out, rel, ProductChanges::new(ctx.model, ctx.cfg.start), push_product)
}

/// `stores.csv`.
pub fn write_stores(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    write_csv(ctx, out, Table::Stores.raw().path.clone(), Stores::new(ctx.model), push_store)
}

/// `suppliers.csv`.
pub fn write_suppliers(ctx: &Ctx<'_>, out: &mut UnitOutput) -> Result<(), GenError> {
    write_csv(ctx, out, Table::Suppliers.raw().path.clone(), Suppliers::new(ctx.model), push_supplier)
}

/// The file of an increment of `table` covering days `start..end`.
pub(crate) fn increment_path(table: Table, start: Day, end: Day) -> Result<String, GenError> {
    let pattern = table
        .raw()
        .increment_path
        .as_deref()
        .ok_or_else(|| medallion_schema::SchemaError::Table { table: table.to_string(), message: "no increment_path".into() })?;
    let (from, to) = (date_string(start), date_string(end - 1));
    Ok(render_path(pattern, &PathVars { from: Some(&from), to: Some(&to), ..Default::default() })?)
}
