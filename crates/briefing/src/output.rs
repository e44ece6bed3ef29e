//! Writing books to files: checked before the work starts, written whole or not at all.

use crate::print::PrintedBook;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("cannot write the book to {path}: {reason}")]
    Unwritable { path: PathBuf, reason: String },
    #[error(transparent)]
    Pdf(#[from] crate::layout::PdfError),
}

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Fails early, with the reason, when `path` cannot be written (missing or read-only folder,
/// a folder in the way) — before minutes are spent on a long book.
pub fn check_writable(path: &Path) -> Result<(), OutputError> {
    let bad = |reason: String| OutputError::Unwritable { path: path.to_path_buf(), reason };
    if path.is_dir() {
        return Err(bad("it is a folder".into()));
    }
    let dir = dir_of(path);
    if !dir.is_dir() {
        return Err(bad(format!("the folder {} does not exist", dir.display())));
    }
    tempfile::NamedTempFile::new_in(&dir).map(drop).map_err(|e| bad(e.to_string()))
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so a failure never
/// leaves a half-written book where the old one was.
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let bad = |e: std::io::Error| OutputError::Unwritable { path: path.to_path_buf(), reason: e.to_string() };
    let mut tmp = tempfile::NamedTempFile::new_in(dir_of(path)).map_err(bad)?;
    tmp.write_all(bytes).map_err(bad)?;
    tmp.as_file().sync_all().map_err(bad)?;
    tmp.persist(path).map_err(|e| bad(e.error))?;
    Ok(())
}

/// The file for recipient `n`: `book.pdf` → `book-copy-3-j-smith.pdf`.
pub fn copy_path(out: &Path, n: usize, name: &str) -> PathBuf {
    let stem = out.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "book".into());
    let ext = out.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    out.with_file_name(format!("{stem}-copy-{n}-{slug}{ext}"))
}

/// Writes the PDF — one file, or one numbered, watermarked copy per recipient. Returns the
/// files written.
pub fn write_pdfs(
    book: &PrintedBook,
    out: &Path,
    recipients: &[String],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<PathBuf>, OutputError> {
    if recipients.is_empty() {
        let bytes = book.pdf(None)?;
        write_whole(out, &bytes)?;
        progress(1, 1);
        return Ok(vec![out.to_path_buf()]);
    }
    let mut written = Vec::new();
    for (i, name) in recipients.iter().enumerate() {
        let path = copy_path(out, i + 1, name);
        let bytes = book.pdf(Some((i + 1, name)))?;
        write_whole(&path, &bytes)?;
        written.push(path);
        progress(i + 1, recipients.len());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_paths_name_the_copy_and_recipient() {
        assert_eq!(copy_path(Path::new("/tmp/book.pdf"), 3, "J. Smith"), PathBuf::from("/tmp/book-copy-3-j-smith.pdf"));
        assert_eq!(copy_path(Path::new("b.pdf"), 1, "Zoë O’Neil"), PathBuf::from("b-copy-1-zoë-o-neil.pdf"));
    }

    #[test]
    fn unwritable_places_are_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let e = check_writable(&dir.path().join("missing/book.pdf")).unwrap_err().to_string();
        assert!(e.contains("does not exist"), "{e}");
        let e = check_writable(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        check_writable(&dir.path().join("book.pdf")).unwrap();
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "the check leaves nothing behind");
    }
}
