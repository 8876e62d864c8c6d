//! Review imports from other apps' exports. Each format reads its file into
//! the same [`ImportReport`]; a file that cannot be read as a whole (bad
//! CSV, missing columns) imports nothing and fails with an [`ImportError`].

pub mod judgeme;

use std::fmt;

use thiserror::Error;

use crate::store::sqlite::StoreError;

/// One record that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Line of the file where the record starts, from 1.
    pub line: u64,
    /// Why it was rejected, such as `rating 6 is out of range 1..5`.
    pub reason: String,
}

/// The outcome of an import.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Normalised shop domain.
    pub shop: String,
    /// Records read, header excluded.
    pub records: usize,
    /// Records imported, new or already present.
    pub imported: usize,
    /// Imported records that are published.
    pub published: usize,
    /// Imported records stored unpublished (hidden by the merchant).
    pub unpublished: usize,
    /// Imported records that were not in the store before.
    pub inserted: usize,
    /// Rejected records in file order.
    pub rejected: Vec<Rejection>,
    /// Products that imported records belong to, sorted; what a purge
    /// after the import has to drop.
    pub products: Vec<starling_model::ProductId>,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "shop {}: {} records read", self.shop, self.records)?;
        writeln!(
            f,
            "records imported: {} ({} published, {} unpublished; {} new, {} already present)",
            self.imported,
            self.published,
            self.unpublished,
            self.inserted,
            self.imported - self.inserted
        )?;
        writeln!(f, "records rejected: {}", self.rejected.len())?;
        for rejection in &self.rejected {
            writeln!(f, "  line {}: {}", rejection.line, rejection.reason)?;
        }
        Ok(())
    }
}

/// Why a file was not imported at all.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file is not valid CSV at a given line.
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
    /// The header lacks columns the format needs.
    #[error(
        "the header on line 1 lacks the column{} {}; a Judge.me export has \
         title, body, rating, review_date, reviewer_name, reviewer_email, product_id, \
         product_handle, reply and picture_urls",
        if .0.len() == 1 { "" } else { "s" },
        .0.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
    )]
    MissingColumns(Vec<&'static str>),
    /// The shop domain is unusable.
    #[error("shop {0:?} is not a shop domain; expected something like example.myshopify.com")]
    BadShop(String),
    /// Writing to the store failed; nothing was imported.
    #[error(transparent)]
    Store(#[from] StoreError),
}
