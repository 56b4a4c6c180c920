//! What a generated row is: the row, the ground-truth mark it carries, and its table and key.

use medallion_schema::{AnomalyKind, Table};

/// What the ground truth says of a generated row: an injected anomaly, or a deliberate change
/// (a new price, a move, …) that the pipeline must keep rather than flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// An anomaly of the catalogue.
    Anomaly(AnomalyKind),
    /// A deliberate change, one of [`crate::truth::CHANGES`].
    Change(&'static str),
}

impl Mark {
    /// The kind as the ground-truth log writes it.
    pub fn code(self) -> &'static str {
        match self {
            Mark::Anomaly(k) => k.code(),
            Mark::Change(c) => c,
        }
    }
}

/// A generated row with its mark (most rows have none).
#[derive(Debug, Clone, PartialEq)]
pub struct Generated<R> {
    /// The row, anomaly included.
    pub row: R,
    /// What the ground truth records about it.
    pub mark: Option<Mark>,
}

impl<R> Generated<R> {
    pub(crate) fn clean(row: R) -> Self {
        Generated { row, mark: None }
    }

    pub(crate) fn anomaly(row: R, kind: Option<AnomalyKind>) -> Self {
        Generated { row, mark: kind.map(Mark::Anomaly) }
    }
}

/// A row of a raw source.
pub trait SourceRow {
    /// The raw table it belongs to.
    const TABLE: Table;
    /// The key the ground-truth log records for this row when it carries `mark` (the table's
    /// key; composite keys joined with `|`).
    fn truth_key(&self, mark: Mark) -> String;
}
