//! Errors returned while discovering fonts or rendering documents.

use std::io;
use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocError {
    /// The font directory itself could not be read.
    #[error("cannot read font directory {}: {source}", path.display())]
    FontDir {
        /// The directory that was searched.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// No font covering Chinese characters was found.
    #[error(
        "no CJK font found in {} ({files} font files scanned; wanted Noto Serif CJK SC, Noto Sans CJK SC, \
         WenQuanYi or any face covering Chinese; install fonts-noto-cjk or point --font-dir at a directory holding one)",
        searched.display()
    )]
    NoCjkFont {
        /// The directory that was searched recursively.
        searched: PathBuf,
        /// How many font files (.ttf, .otf, .ttc) were found there.
        files: usize,
    },
    /// More signatures than a single document supports.
    #[error("too many signatures: {count} (at most {max})")]
    TooManySignatures {
        /// The number of signatures given.
        count: usize,
        /// The supported maximum.
        max: usize,
    },
    /// Typst failed to compile the generated document (a bug in the template).
    #[error("typst compilation failed: {0}")]
    Compile(String),
    /// Typst failed to export the laid-out document to PDF.
    #[error("PDF export failed: {0}")]
    Pdf(String),
    /// rust_xlsxwriter refused the workbook (a bug in the caller's sheet).
    #[error("workbook failed: {0}")]
    Workbook(String),
}
