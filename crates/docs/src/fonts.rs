//! Offline discovery of system fonts, with a CJK face for Chinese text.
//!
//! The font directory is scanned once: every face's metadata goes into a shared [`FontBook`], while
//! the font data itself is read lazily the first time a document needs a face and then kept for
//! later renders.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use typst::foundations::Bytes;
use typst::text::{Font, FontBook, FontInfo};
use typst::utils::LazyHash;

use crate::DocError;

/// Where Debian keeps fonts (`fonts-noto-cjk` installs into it): the default font directory.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts";

/// A character every usable face must cover: 中 (U+4E2D).
const CJK_PROBE: char = '中';

/// Fonts available to documents; cheap to clone and safe to share between threads.
#[derive(Clone)]
pub struct Fonts(Arc<Inner>);

struct Inner {
    book: LazyHash<FontBook>,
    /// Indexed like `book`.
    faces: Vec<Face>,
    files: Vec<FontFile>,
    /// CJK families to use for text, best first.
    families: Vec<String>,
}

/// One face in a font file (a `.ttc` collection holds several).
struct Face {
    file: usize,
    index: u32,
    font: OnceLock<Option<Font>>,
}

/// A font file whose data is read on first use.
struct FontFile {
    path: PathBuf,
    data: OnceLock<Option<Bytes>>,
}

impl Fonts {
    /// Finds the fonts under `dir` (offline), recursively: `.ttf`, `.otf` and `.ttc` files. Text is
    /// set in Noto Serif CJK SC when present (a Song-style serif, 宋体), else Noto Sans CJK SC, else
    /// WenQuanYi, else any face covering Chinese; all other faces found remain available as
    /// fallbacks.
    ///
    /// # Errors
    ///
    /// [`DocError::FontDir`] if the directory cannot be read, [`DocError::NoCjkFont`] (naming the
    /// directory) if it holds no face covering Chinese.
    pub fn from_dir(dir: &Path) -> Result<Fonts, DocError> {
        let paths = font_paths(dir)?;
        let mut book = FontBook::new();
        let mut faces = Vec::new();
        let mut files = Vec::new();
        for path in &paths {
            let Some(data) = map(path) else { continue };
            let file = files.len();
            let before = faces.len();
            for index in 0..face_count(&data) {
                if let Some(info) = FontInfo::new(&data, index) {
                    book.push(info);
                    faces.push(Face { file, index, font: OnceLock::new() });
                }
            }
            if faces.len() > before {
                files.push(FontFile { path: path.clone(), data: OnceLock::new() });
            }
        }
        let families = cjk_families(&book, faces.len());
        if families.is_empty() {
            return Err(DocError::NoCjkFont { searched: dir.to_path_buf(), files: paths.len() });
        }
        Ok(Fonts(Arc::new(Inner { book: LazyHash::new(book), faces, files, families })))
    }

    /// The CJK font families documents are set in, best first (e.g. `["Noto Serif CJK SC", …]`).
    pub fn families(&self) -> &[String] {
        &self.0.families
    }

    /// Metadata of every face, indexed like [`Fonts::font`].
    pub(crate) fn book(&self) -> &LazyHash<FontBook> {
        &self.0.book
    }

    /// The face at `index` in the book, loading its file on first use.
    pub(crate) fn font(&self, index: usize) -> Option<Font> {
        let face = self.0.faces.get(index)?;
        face.font
            .get_or_init(|| {
                let file = self.0.files.get(face.file)?;
                let data = file.data.get_or_init(|| map(&file.path).map(Bytes::new)).clone()?;
                Font::new(data, face.index)
            })
            .clone()
    }
}

/// A font file mapped into memory rather than read: its pages belong to the page cache, shared
/// with every process that reads the font and given back under memory pressure, so the four CJK
/// faces a document uses (≈ 90 MB of Noto) cost the server no heap.
fn map(path: &Path) -> Option<memmap2::Mmap> {
    let file = fs::File::open(path).ok()?;
    // SAFETY: fonts are installed files that are not written while the server runs; one
    // truncated underneath would fault, the accepted risk of any mapped file (tantivy maps its
    // index the same way).
    unsafe { memmap2::Mmap::map(&file) }.ok()
}

impl fmt::Debug for Fonts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fonts")
            .field("families", &self.0.families)
            .field("faces", &self.0.faces.len())
            .field("files", &self.0.files.len())
            .finish()
    }
}

/// All font files below `dir`, sorted so discovery is deterministic.
///
/// Unreadable subdirectories are skipped; symlinks are followed to files but not to directories, which
/// rules out cycles.
fn font_paths(dir: &Path) -> Result<Vec<PathBuf>, DocError> {
    let root = fs::read_dir(dir).map_err(|source| DocError::FontDir { path: dir.to_path_buf(), source })?;
    let mut pending = vec![root];
    let mut found = Vec::new();
    while let Some(entries) = pending.pop() {
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                pending.extend(fs::read_dir(&path).ok());
            } else if is_font_file(&path) && fs::metadata(&path).is_ok_and(|meta| meta.is_file()) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn is_font_file(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| ["ttf", "otf", "ttc"].iter().any(|known| ext.eq_ignore_ascii_case(known)))
}

/// Number of faces in a font file: read from the header of a `.ttc` collection, else one.
fn face_count(data: &[u8]) -> u32 {
    match (data.get(..4), data.get(8..12)) {
        (Some(b"ttcf"), Some(&[a, b, c, d])) => u32::from_be_bytes([a, b, c, d]),
        _ => 1,
    }
}

/// Preference of a family for Chinese body text: lower is better, `None` if not a preferred family.
fn preference(family: &str) -> Option<u8> {
    let family = family.to_ascii_lowercase();
    match family.as_str() {
        "noto serif cjk sc" => Some(0),
        "noto sans cjk sc" => Some(1),
        _ if family.starts_with("wenquanyi") => Some(2),
        _ => None,
    }
}

/// The families covering Chinese, preferred ones first, each once.
fn cjk_families(book: &FontBook, faces: usize) -> Vec<String> {
    let mut families: Vec<(u8, String)> = (0..faces)
        .filter_map(|index| book.info(index))
        .filter(|info| info.coverage.contains(u32::from(CJK_PROBE)))
        .map(|info| (preference(&info.family).unwrap_or(u8::MAX), info.family.clone()))
        .collect();
    families.sort();
    families.dedup();
    families.into_iter().map(|(_, family)| family).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_header_gives_face_count() {
        let mut ttc = b"ttcf\0\x02\0\0\0\0\0\x0a".to_vec();
        ttc.extend([0; 8]);
        assert_eq!(face_count(&ttc), 10);
        assert_eq!(face_count(b"\0\x01\0\0rest"), 1);
        assert_eq!(face_count(b"ttcf"), 1);
    }

    #[test]
    fn serif_is_preferred_over_sans_over_wenquanyi() {
        assert!(preference("Noto Serif CJK SC") < preference("Noto Sans CJK SC"));
        assert!(preference("Noto Sans CJK SC") < preference("WenQuanYi Zen Hei"));
        assert_eq!(preference("DejaVu Sans"), None);
    }

    #[test]
    fn only_font_extensions_are_scanned() {
        assert!(is_font_file(Path::new("/f/NotoSerifCJK-Regular.TTC")));
        assert!(is_font_file(Path::new("a.otf")));
        assert!(!is_font_file(Path::new("fonts.dir")));
    }

    #[test]
    fn missing_directory_is_an_error() {
        let err = Fonts::from_dir(Path::new("/nonexistent/fonts")).err();
        assert!(matches!(err, Some(DocError::FontDir { .. })), "{err:?}");
    }

    #[test]
    fn directory_without_cjk_font_names_what_was_searched() {
        let dir = std::env::temp_dir().join(format!("fq-docs-empty-fonts-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create temp dir");
        let err = Fonts::from_dir(&dir).err().map(|err| err.to_string()).unwrap_or_default();
        fs::remove_dir_all(&dir).ok();
        assert!(err.contains(&dir.display().to_string()), "{err}");
        assert!(err.contains("no CJK font"), "{err}");
    }
}
