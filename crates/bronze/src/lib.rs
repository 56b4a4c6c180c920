//! Bronze ingestion (issue 3): not implemented yet; the crate reserves its place in the workspace.
