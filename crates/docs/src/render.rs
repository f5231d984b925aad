//! Rendering an [`Agreement`] to PDF bytes.

use typst::diag::SourceDiagnostic;
use typst::foundations::Bytes;
use typst::visualize::{ExchangeFormat, RasterImage};
use typst_layout::PagedDocument;
use typst_pdf::PdfOptions;

use crate::source::{Mark, agreement_source};
use crate::world::DocWorld;
use crate::{Agreement, DocError, Fonts, Signature};

/// Signature rows per document. Each image gets a process-wide typst file id, so the set must be bounded.
pub const MAX_SIGNATURES: usize = 64;

/// Signature images larger than this are treated as invalid.
const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Typst's memoisation cache is process-wide; results unused for this many renders are evicted.
/// None is kept: each document is different (a server typesets a few a day, each once), so a
/// kept cache only held memory — 47 MB after a demo server's first eight reports, which took
/// 11.3 s with the cache and without it.
const CACHE_MAX_AGE: usize = 0;

/// Renders a People's Mediation agreement (人民调解协议书) as an A4 PDF whose metadata title is `a.title`.
///
/// Safe to call from several threads at once with the same [`Fonts`]. A signature image that is not a
/// decodable PNG is not drawn; the signer's name is printed in its place.
///
/// # Errors
///
/// [`DocError::TooManySignatures`] beyond [`MAX_SIGNATURES`] rows; [`DocError::Compile`] or
/// [`DocError::Pdf`] if typst fails, which indicates a bug here rather than bad input.
pub fn agreement_pdf(fonts: &Fonts, a: &Agreement) -> Result<Vec<u8>, DocError> {
    if a.signatures.len() > MAX_SIGNATURES {
        return Err(DocError::TooManySignatures { count: a.signatures.len(), max: MAX_SIGNATURES });
    }
    let mut files = Vec::new();
    let marks: Vec<Mark> =
        a.signatures.iter().enumerate().map(|(i, signature)| signature_mark(i, signature, &mut files)).collect();
    compile_pdf(&DocWorld::new(fonts, agreement_source(a, fonts.families(), &marks), files)?)
}

/// Typesets a document's world as PDF, then evicts what typst's process-wide cache has not used
/// lately. Every document of this crate goes through here.
pub(crate) fn compile_pdf(world: &DocWorld) -> Result<Vec<u8>, DocError> {
    let document = typst::compile::<PagedDocument>(world).output.map_err(|errors| DocError::Compile(describe(&errors)));
    let pdf = document.and_then(|document| {
        typst_pdf::pdf(&document, &PdfOptions::default()).map_err(|errors| DocError::Pdf(describe(&errors)))
    });
    typst::comemo::evict(CACHE_MAX_AGE);
    pdf
}

/// Decides how signature `i` is shown, adding its image to `files` when it is usable.
fn signature_mark(i: usize, signature: &Signature, files: &mut Vec<(String, Bytes)>) -> Mark {
    match signature.image.as_deref() {
        None => Mark::Blank,
        Some(png) => match valid_png(png) {
            Some(data) => {
                let path = format!("/sig-{i}.png");
                files.push((path.clone(), data));
                Mark::Image(path)
            }
            None => Mark::Name(signer_name(&signature.label).to_owned()),
        },
    }
}

/// The image as typst bytes if it is a PNG that actually decodes (checked up front so that a corrupt
/// upload cannot fail the whole document).
fn valid_png(png: &[u8]) -> Option<Bytes> {
    if png.len() > MAX_IMAGE_BYTES || !png.starts_with(PNG_MAGIC) {
        return None;
    }
    let data = Bytes::new(png.to_vec());
    RasterImage::plain(data.clone(), ExchangeFormat::Png).ok()?;
    Some(data)
}

/// The name in a label such as "申请人：张三", or the whole label if it has no colon.
fn signer_name(label: &str) -> &str {
    label.rsplit_once(['：', ':']).map(|(_, name)| name.trim()).filter(|name| !name.is_empty()).unwrap_or(label)
}

/// All diagnostics as one line each, with hints.
fn describe(diagnostics: &[SourceDiagnostic]) -> String {
    diagnostics
        .iter()
        .map(|diagnostic| {
            let hints: String = diagnostic.hints.iter().map(|hint| format!(" (hint: {})", hint.v)).collect();
            format!("{}{hints}", diagnostic.message)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_name_is_taken_after_the_colon() {
        assert_eq!(signer_name("申请人：张三"), "张三");
        assert_eq!(signer_name("Respondent: Li Si"), "Li Si");
        assert_eq!(signer_name("张三"), "张三");
        assert_eq!(signer_name("申请人："), "申请人：");
    }

    #[test]
    fn png_magic_alone_is_not_enough() {
        assert!(valid_png(b"\x89PNG\r\n\x1a\nnot really a png").is_none());
        assert!(valid_png(b"GIF89a").is_none());
        assert!(valid_png(&[]).is_none());
    }
}
