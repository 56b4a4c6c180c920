//! The GDPR scan finds personal values of non-consenting customers in any Gold table or view,
//! and ignores consenting customers and masked values.

use medallion_quality::gdpr::scan;

#[test]
fn personal_values_of_customers_without_consent_are_found_anywhere_in_gold() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.duckdb");
    let conn = duckdb::Connection::open(&path).unwrap();
    conn.execute_batch(
        "create schema silver; create schema gold;
         create table silver.stg_customers as select * from (values
             (1, 'ann@example.com', '+61 2 9999 0000', '1 Main St', null, false),
             (2, 'bob@example.com', '+61 2 8888 0000', '2 High St', null, true),
             (3, 'cat@example.com', '+61 2 7777 0000', '2 High St', null, false)
         ) t(customer_id, email, phone, address_line1, address_line2, gdpr_consent);
         create table gold.dim_customer as select * from (values
             (1, md5('ann@example.com'), '***-****00', null),
             (2, 'bob@example.com', '+61 2 8888 0000', '2 High St')
         ) t(customer_id, email, phone, address_line1);
         create view gold.vw_orders as select 'ANN@example.com ' as contact, '1 Main St' as ship_to;
         -- dbt writes catalog-qualified names into views.
         create view gold.vw_customers as select email from w.gold.dim_customer;
         -- Cat lives where Bob (who consented) lives: that address may appear.
         create view gold.vw_shared as select '2 High St' as ship_to;",
    )
    .unwrap();
    drop(conn);
    let leaks = scan(&path).unwrap();
    let found: Vec<(&str, &str, &str)> = leaks.iter().map(|l| (l.relation.as_str(), l.column.as_str(), l.kind.as_str())).collect();
    assert_eq!(found, [("gold.vw_orders", "contact", "email"), ("gold.vw_orders", "ship_to", "address")]);
}
