//! A general page-layout layer, independent of what a briefing book contains: fonts and text
//! measurement ([`fonts`]), flowing text, page breaks and tables ([`flow`]), and drawing the
//! result as PDF ([`pdf`]).

pub mod arabic;
pub mod bidi;
pub mod flow;
pub mod fonts;
pub mod pdf;

pub use flow::{Align, Column, Flow, Item, Laid, Page, PageSetup, Spot, Style};
pub use fonts::{Face, FontRef, Fonts};
pub use pdf::{render, Bookmark, PdfError, PdfInfo, Placement, Watermark};
