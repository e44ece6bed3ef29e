//! Briefing books: print-ready books built from live action records (BRIEFING-BOOK.md).
//!
//! - [`content`] decides what a book says (cover, contents, summary, tabs, one section per
//!   action, appendix) from the records and the [`options`].
//! - [`print`] lays that content out on pages with the general [`layout`] layer and writes PDF.
//! - [`html`] writes the same content as one self-contained HTML file.
//!
//! The crate reads no clock and no database: the caller passes the records and the as-of time,
//! so the same input always gives the same bytes.

pub mod content;
pub mod html;
pub mod layout;
pub mod options;
pub mod output;
pub mod print;

pub use content::{compose, BookData, Content, ContentError};
pub use options::{BookOptions, Grouping, Paper, PickedTab, Recipient, Sections};
pub use print::{copy_label, lay_out, PrintedBook};

/// Composes and lays out a book, ready to write as PDF.
pub fn pdf_book(data: &BookData, options: &BookOptions, progress: &mut dyn FnMut(usize, usize)) -> Result<PrintedBook, ContentError> {
    let content = compose(data, options)?;
    Ok(lay_out(&content, progress))
}

/// Composes a book as one HTML document; with `copy`, the numbered copy for one recipient,
/// labelled with their name as the PDF's copies are watermarked.
pub fn html_book(data: &BookData, options: &BookOptions, copy: Option<(usize, &str)>) -> Result<String, ContentError> {
    let label = copy.map(|(n, name)| copy_label(n, name));
    Ok(html::render(&compose(data, options)?, label.as_deref()))
}
