//! Daily exchange rates to AUD, as a treasury team would publish them.

use std::sync::Arc;

use arrow::array::{Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow::error::ArrowError;
use medallion_schema::Table;

use crate::model::Model;
use crate::text::Day;
use crate::world::CURRENCIES;
use crate::{ArrowRow, Generated, Mark, SourceRow};

/// One day's rate of one currency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExchangeRate {
    /// The day.
    pub date: Day,
    /// ISO currency code.
    pub currency: &'static str,
    /// AUD per unit of the currency.
    pub rate_to_aud: f64,
}

/// Every currency's rate for each day of `from..to`, day by day (rates carry no anomalies).
///
/// ```
/// use medallion_gen::{fx::ExchangeRates, model::Model, text::parse_date};
/// let day = parse_date("2024-05-01").unwrap();
/// let model = Model::new(42, 0.01, day + 7);
/// let rates: Vec<_> = ExchangeRates::new(&model, day, day + 7).collect();
/// assert_eq!(rates.len(), 7 * 5);
/// assert!(rates.iter().filter(|r| r.row.currency == "AUD").all(|r| r.row.rate_to_aud == 1.0));
/// ```
pub struct ExchangeRates<'m> {
    model: &'m Model,
    day: Day,
    to: Day,
    currency: usize,
}

impl<'m> ExchangeRates<'m> {
    /// The rates of days `from..to`.
    pub fn new(model: &'m Model, from: Day, to: Day) -> Self {
        ExchangeRates { model, day: from, to, currency: 0 }
    }
}

impl Iterator for ExchangeRates<'_> {
    type Item = Generated<ExchangeRate>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.currency == CURRENCIES.len() {
            self.currency = 0;
            self.day += 1;
        }
        if self.day >= self.to {
            return None;
        }
        let c = self.currency;
        self.currency += 1;
        Some(Generated::clean(ExchangeRate { date: self.day, currency: CURRENCIES[c].0, rate_to_aud: self.model.fx_rate(self.day, c) }))
    }
}

impl SourceRow for ExchangeRate {
    const TABLE: Table = Table::ExchangeRates;
    fn truth_key(&self, _: Mark) -> String {
        format!("{}|{}", crate::text::date_string(self.date), self.currency)
    }
}

impl ArrowRow for ExchangeRate {
    fn to_batch(rows: &[Self]) -> Result<RecordBatch, ArrowError> {
        // decimal(18, 8): the rate rounded to 8 places, as the workbook's reader would keep it.
        let rate = rows.iter().map(|r| (r.rate_to_aud * 1e8).round() as i128);
        RecordBatch::try_new(
            Self::arrow_schema(),
            vec![
                Arc::new(Date32Array::from_iter_values(rows.iter().map(|r| r.date))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.currency))),
                Arc::new(Decimal128Array::from_iter_values(rate).with_precision_and_scale(18, 8)?),
            ],
        )
    }
}
