//! Draws laid-out pages as PDF with printpdf, then finishes the file with lopdf: a nested
//! outline, clickable links, a document ID derived from the content.
//!
//! Why the finishing step: printpdf 0.12 writes a random document ID and a flat outline, and
//! only subsets fonts when built with its layout engine. Books must be byte-for-byte
//! reproducible, bookmarks must nest (tab → action), and each font must be embedded as a subset
//! of the glyphs the book uses — so we subset with allsorts ourselves, name each subset with a
//! tag derived from its bytes, and set the ID to a hash of the finished content.

use super::arabic::{base_letter, shape};
use super::bidi::visual_order;
use super::flow::{Item, Laid, PageSetup};
use super::fonts::{Face, FontRef, Fonts};
use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use printpdf::DictItem;
use printpdf::{
    Color, FontId, Greyscale, Line, LinePoint, Op, PaintMode, ParsedFont, PdfDocument, PdfFont, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, Rect, TextItem, TextMatrix,
};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// Document information (what a PDF viewer's properties dialog shows).
#[derive(Clone, Debug, Default)]
pub struct PdfInfo {
    pub title: String,
    pub author: String,
    pub subject: String,
    pub keywords: Vec<String>,
    /// Creation time; fixed by the caller so the same input gives the same bytes.
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

/// One bookmark: a title that jumps to an anchor, with nested bookmarks under it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bookmark {
    pub title: String,
    pub anchor: String,
    pub children: Vec<Bookmark>,
}

/// Text printed on every page over whatever was laid out (DRAFT, "Copy 3 — prepared for …").
#[derive(Clone, Debug, PartialEq)]
pub struct Watermark {
    pub text: String,
    pub size: f32,
    pub grey: f32,
    pub placement: Placement,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// Large, corner to corner behind the content; `offset` (points) moves it across the
    /// diagonal so several can stack.
    Diagonal { offset: f32 },
    /// A horizontal line centred at this distance (points) above the bottom edge — readable by
    /// text extraction, hard to crop away without cutting the page number.
    Foot { from_bottom: f32 },
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("could not subset the {0} font: {1}")]
    Subset(&'static str, String),
    #[error("could not write the PDF: {0}")]
    Write(String),
}

/// Draws `laid` as a PDF. `watermarks` are drawn on every page; `outline` becomes the bookmarks.
pub fn render(laid: &Laid, info: &PdfInfo, outline: &[Bookmark], watermarks: &[Watermark]) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::embedded();
    let setup = laid.setup.clone().unwrap_or_else(PageSetup::letter);

    // Which characters each font draws (watermarks are set in bold); lines in drawing order.
    let mut used: BTreeMap<FontRef, BTreeSet<char>> = BTreeMap::new();
    let mut add = |face: Face, text: &str| {
        for (font, run) in fonts.runs(face, text) {
            used.entry(font).or_default().extend(run.chars());
        }
    };
    for item in laid.pages.iter().flat_map(|p| &p.items) {
        if let Item::Text { style, text, .. } = item {
            add(style.face, &drawn(text));
        }
    }
    for w in watermarks {
        add(Face::Bold, &drawn(&fonts.printable(Face::Bold, &w.text)));
    }

    let mut doc = PdfDocument::new(&info.title);
    doc.metadata.info.author = info.author.clone();
    doc.metadata.info.subject = info.subject.clone();
    doc.metadata.info.keywords = info.keywords.clone();
    doc.metadata.info.creator = "Mandate".into();
    doc.metadata.info.producer = "Mandate briefing (printpdf 0.12.8)".into();
    if let Some(created) = info.created {
        let Ok(t) = printpdf::OffsetDateTime::from_unix_timestamp(created.timestamp()) else { unreachable!("a chrono time is in range") };
        doc.metadata.info.creation_date = t;
        doc.metadata.info.modification_date = t;
        doc.metadata.info.metadata_date = t;
    }
    let mut font_ids = BTreeMap::new();
    for (font, chars) in &used {
        let name = font.postscript_name();
        let (bytes, tag) = subset(fonts.font(*font).bytes, chars).map_err(|e| PdfError::Subset(name, e))?;
        let mut parsed =
            ParsedFont::from_bytes(&bytes, 0, &mut Vec::new()).ok_or_else(|| PdfError::Subset(name, "the subset does not parse".into()))?;
        parsed.font_name = Some(format!("{tag}+{name}"));
        let id = FontId(format!("F{}", font.number()));
        doc.resources.fonts.map.insert(id.clone(), PdfFont::new(parsed));
        font_ids.insert(*font, id);
    }

    let h = setup.height;
    let pages: Vec<PdfPage> = laid
        .pages
        .iter()
        .map(|page| {
            let mut ops = Vec::with_capacity(page.items.len() * 3 + 16);
            for w in watermarks {
                watermark_ops(&mut ops, &font_ids, &setup, w, fonts);
            }
            let mut grey = -1.0;
            for item in &page.items {
                match item {
                    Item::Text { x, y, style, text } => {
                        if style.grey != grey {
                            grey = style.grey;
                            ops.push(Op::SetFillColor { col: grey_color(grey) });
                        }
                        ops.push(Op::StartTextSection);
                        ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt(*x), Pt(h - y)) });
                        show_text(&mut ops, &font_ids, fonts, style.face, style.size, text);
                        ops.push(Op::EndTextSection);
                    }
                    Item::Line { x1, y1, x2, y2, width, grey: g } => {
                        ops.push(Op::SetOutlineColor { col: grey_color(*g) });
                        ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
                        ops.push(Op::DrawLine {
                            line: Line {
                                points: vec![
                                    LinePoint { p: Point { x: Pt(*x1), y: Pt(h - y1) }, bezier: false },
                                    LinePoint { p: Point { x: Pt(*x2), y: Pt(h - y2) }, bezier: false },
                                ],
                                is_closed: false,
                            },
                        });
                    }
                    Item::Rect { x, y, w, h: rh, fill } => {
                        grey = *fill;
                        ops.push(Op::SetFillColor { col: grey_color(*fill) });
                        ops.push(Op::DrawRectangle {
                            rectangle: Rect {
                                x: Pt(*x),
                                y: Pt(h - y - rh),
                                width: Pt(*w),
                                height: Pt(*rh),
                                mode: Some(PaintMode::Fill),
                                winding_order: None,
                            },
                        });
                    }
                    Item::Link { .. } => {} // added as annotations below
                }
            }
            PdfPage::new(printpdf::Mm(setup.width / super::flow::MM), printpdf::Mm(h / super::flow::MM), ops)
        })
        .collect();
    doc.with_pages(pages);

    let mut warnings = Vec::new();
    let save = PdfSaveOptions { subset_fonts: false, ..Default::default() };
    let mut lo = doc.to_lopdf_document(&save, &mut warnings);
    drop(doc);
    let page_ids: Vec<ObjectId> = lo.get_pages().values().copied().collect();
    add_links(&mut lo, laid, &page_ids, h);
    add_outline(&mut lo, laid, outline, &page_ids, h);
    compress_parallel(&mut lo);
    // Reproducible ID: written as a fixed placeholder, then replaced by a hash of the file —
    // same length, so no offset moves.
    let placeholder = vec![0u8; 16];
    lo.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(placeholder.clone(), StringFormat::Hexadecimal),
            Object::String(placeholder, StringFormat::Hexadecimal),
        ]),
    );
    let mut out = Vec::new();
    lo.save_to(&mut out).map_err(|e| PdfError::Write(e.to_string()))?;
    let digest = hex::encode(&Sha256::digest(&out)[..16]);
    let marker = format!("<{}>", "0".repeat(32));
    let trailer_from = out.len().saturating_sub(4096);
    let mut at = trailer_from;
    while let Some(i) = find(&out[at..], marker.as_bytes()) {
        let start = at + i + 1;
        out[start..start + 32].copy_from_slice(digest.as_bytes());
        at = start + 32;
    }
    if at == trailer_from {
        return Err(PdfError::Write("the document ID was not written where expected".into()));
    }
    Ok(out)
}

/// Deflates every stream, on all cores (lopdf's own `compress` runs on one).
fn compress_parallel(lo: &mut lopdf::Document) {
    let mut streams: Vec<&mut lopdf::Stream> = lo.objects.values_mut().filter_map(|o| o.as_stream_mut().ok()).collect();
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    let chunk = streams.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        for part in streams.chunks_mut(chunk) {
            s.spawn(move || {
                for stream in part {
                    // A stream that does not shrink stays as it is.
                    let _ = stream.compress();
                }
            });
        }
    });
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn grey_color(g: f32) -> Color {
    Color::Greyscale(Greyscale { percent: g.clamp(0.0, 1.0), icc_profile: None })
}

/// A line as it is drawn: Arabic letters joined, right-to-left runs in visual order.
fn drawn(text: &str) -> Cow<'_, str> {
    match shape(text) {
        Cow::Borrowed(t) => visual_order(t),
        Cow::Owned(t) => Cow::Owned(visual_order(&t).into_owned()),
    }
}

/// Draws one line where the text matrix stands: Arabic joined, right-to-left runs in visual
/// order, each run in the font that has its glyphs (the position advances by each glyph's width,
/// the same widths the layout measured with). A joined Arabic form carries its letter as
/// ActualText, so text extraction sees the letters that were typed, drawn right to left as any
/// PDF's right-to-left text is, and gives them back in reading order.
fn show_text(ops: &mut Vec<Op>, font_ids: &BTreeMap<FontRef, FontId>, fonts: &Fonts, face: Face, size: f32, text: &str) {
    for (font, run) in fonts.runs(face, &drawn(text)) {
        ops.push(Op::SetFont { font: PdfFontHandle::External(font_ids[&font].clone()), size: Pt(size) });
        let mut plain = String::new();
        for c in run.chars() {
            let Some(letter) = base_letter(c) else {
                plain.push(c);
                continue;
            };
            if !plain.is_empty() {
                ops.push(Op::ShowText { items: vec![TextItem::Text(std::mem::take(&mut plain))] });
            }
            let utf16: Vec<u8> =
                [0xFE, 0xFF].into_iter().chain(letter.encode_utf16(&mut [0; 2]).iter().flat_map(|u| u.to_be_bytes())).collect();
            let map = BTreeMap::from([("ActualText".to_string(), DictItem::String { data: utf16, literal: false })]);
            ops.push(Op::BeginMarkedContentWithProperties { tag: "Span".into(), properties: DictItem::Dict { map } });
            ops.push(Op::ShowText { items: vec![TextItem::Text(c.to_string())] });
            ops.push(Op::EndMarkedContentWithProperties);
        }
        if !plain.is_empty() {
            ops.push(Op::ShowText { items: vec![TextItem::Text(plain)] });
        }
    }
}

/// Diagonal text centred on the page, bottom-left to top-right.
fn watermark_ops(ops: &mut Vec<Op>, font_ids: &BTreeMap<FontRef, FontId>, setup: &PageSetup, w: &Watermark, fonts: &Fonts) {
    let text = fonts.printable(Face::Bold, &w.text);
    let offset = match w.placement {
        Placement::Diagonal { offset } => offset,
        Placement::Foot { from_bottom } => {
            let tw = fonts.width(Face::Bold, w.size, &text);
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetFillColor { col: grey_color(w.grey) });
            ops.push(Op::StartTextSection);
            ops.push(Op::SetTextMatrix { matrix: TextMatrix::Translate(Pt((setup.width - tw) / 2.0), Pt(from_bottom)) });
            show_text(ops, font_ids, fonts, Face::Bold, w.size, &text);
            ops.push(Op::EndTextSection);
            ops.push(Op::RestoreGraphicsState);
            return;
        }
    };
    // Shrink long watermarks so they stay on the page.
    let diagonal = (setup.width.powi(2) + setup.height.powi(2)).sqrt() * 0.8;
    let natural = fonts.width(Face::Bold, w.size, &text);
    let size = if natural > diagonal { w.size * diagonal / natural } else { w.size };
    let tw = fonts.width(Face::Bold, size, &text);
    let angle = setup.height.atan2(setup.width);
    let (s, c) = angle.sin_cos();
    // Centre of the page, moved by `offset` across the diagonal.
    let cx = setup.width / 2.0 - s * offset;
    let cy = setup.height / 2.0 + c * offset;
    let x = cx - c * tw / 2.0 + s * size * 0.35;
    let y = cy - s * tw / 2.0 - c * size * 0.35;
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetFillColor { col: grey_color(w.grey) });
    ops.push(Op::StartTextSection);
    ops.push(Op::SetTextMatrix { matrix: TextMatrix::Raw([c, s, -s, c, x, y]) });
    show_text(ops, font_ids, fonts, Face::Bold, size, &text);
    ops.push(Op::EndTextSection);
    ops.push(Op::RestoreGraphicsState);
}

/// Subsets a TrueType font to the glyphs for `chars` (plus .notdef and `?`). Returns the subset
/// and a six-letter tag derived from it, as PDF subset names require.
fn subset(bytes: &[u8], chars: &BTreeSet<char>) -> Result<(Vec<u8>, String), String> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{subset, CmapTarget, SubsetProfile};
    let full = ParsedFont::from_bytes(bytes, 0, &mut Vec::new()).ok_or("the font does not parse")?;
    let glyphs: BTreeSet<u16> =
        chars.iter().chain(['?', ' '].iter()).filter_map(|c| full.lookup_glyph_index(*c as u32)).filter(|g| *g != 0).collect();
    let ids: Vec<u16> = std::iter::once(0).chain(glyphs).collect();
    let scope = ReadScope::new(bytes);
    let data = scope.read::<FontData<'_>>().map_err(|e| e.to_string())?;
    let provider = data.table_provider(0).map_err(|e| e.to_string())?;
    let out = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode).map_err(|e| e.to_string())?;
    let digest = Sha256::digest(&out);
    let tag: String = digest.iter().take(6).map(|b| (b'A' + b % 26) as char).collect();
    Ok((out, tag))
}

fn destination(page: ObjectId, top: f32, page_height: f32) -> Object {
    Object::Array(vec![
        Object::Reference(page),
        "XYZ".into(),
        Object::Null,
        Object::Real((page_height - top + 6.0).min(page_height)),
        Object::Null,
    ])
}

fn add_links(lo: &mut lopdf::Document, laid: &Laid, page_ids: &[ObjectId], h: f32) {
    for (i, page) in laid.pages.iter().enumerate() {
        let mut annots = Vec::new();
        for item in &page.items {
            let Item::Link { x, y, w, h: lh, target } = item else { continue };
            let Some(spot) = laid.anchors.get(target) else { continue };
            let Some(&dest_page) = page_ids.get(spot.page) else { continue };
            let link = Dictionary::from_iter(vec![
                ("Type", Object::Name(b"Annot".to_vec())),
                ("Subtype", Object::Name(b"Link".to_vec())),
                ("Rect", Object::Array(vec![Object::Real(*x), Object::Real(h - y - lh), Object::Real(x + w), Object::Real(h - y)])),
                ("Border", Object::Array(vec![0.into(), 0.into(), 0.into()])),
                ("Dest", destination(dest_page, spot.y, h)),
            ]);
            annots.push(Object::Reference(lo.add_object(link)));
        }
        if !annots.is_empty() {
            if let Ok(dict) = lo.get_object_mut(page_ids[i]).and_then(|o| o.as_dict_mut()) {
                dict.set("Annots", Object::Array(annots));
            }
        }
    }
}

fn add_outline(lo: &mut lopdf::Document, laid: &Laid, outline: &[Bookmark], page_ids: &[ObjectId], h: f32) {
    let outline: Vec<&Bookmark> = outline.iter().filter(|b| laid.anchors.contains_key(&b.anchor)).collect();
    if outline.is_empty() {
        return;
    }
    let root = lo.new_object_id();
    let count = add_outline_level(lo, laid, &outline, root, page_ids, h);
    let Some((first, last)) = count.1 else { return };
    lo.objects.insert(
        root,
        Object::Dictionary(Dictionary::from_iter(vec![
            ("Type", Object::Name(b"Outlines".to_vec())),
            ("First", Object::Reference(first)),
            ("Last", Object::Reference(last)),
            ("Count", Object::Integer(count.0)),
        ])),
    );
    if let Ok(catalog) = lo.catalog_mut() {
        catalog.set("Outlines", Object::Reference(root));
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
    }
}

/// Writes one level of bookmarks under `parent`; returns how many entries are visible below it
/// and the first and last entry.
fn add_outline_level(
    lo: &mut lopdf::Document,
    laid: &Laid,
    items: &[&Bookmark],
    parent: ObjectId,
    page_ids: &[ObjectId],
    h: f32,
) -> (i64, Option<(ObjectId, ObjectId)>) {
    let ids: Vec<ObjectId> = items.iter().map(|_| lo.new_object_id()).collect();
    let mut visible = 0;
    for (i, b) in items.iter().enumerate() {
        let spot = laid.anchors[&b.anchor];
        let mut dict = Dictionary::from_iter(vec![
            ("Title", utf16_text(&b.title)),
            ("Parent", Object::Reference(parent)),
            ("Dest", destination(page_ids[spot.page.min(page_ids.len() - 1)], spot.y, h)),
        ]);
        if i > 0 {
            dict.set("Prev", Object::Reference(ids[i - 1]));
        }
        if i + 1 < ids.len() {
            dict.set("Next", Object::Reference(ids[i + 1]));
        }
        let children: Vec<&Bookmark> = b.children.iter().filter(|c| laid.anchors.contains_key(&c.anchor)).collect();
        if !children.is_empty() {
            let (n, ends) = add_outline_level(lo, laid, &children, ids[i], page_ids, h);
            if let Some((first, last)) = ends {
                dict.set("First", Object::Reference(first));
                dict.set("Last", Object::Reference(last));
                // Tabs start closed so a long book opens as a short list of tabs.
                dict.set("Count", Object::Integer(-n));
            }
        }
        visible += 1;
        lo.objects.insert(ids[i], Object::Dictionary(dict));
    }
    (visible, ids.first().copied().zip(ids.last().copied()))
}

/// A PDF text string in UTF-16BE with a byte-order mark (titles with any character).
fn utf16_text(s: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for u in s.encode_utf16() {
        bytes.extend_from_slice(&u.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}
