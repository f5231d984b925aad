//! The electronic case file (电子卷宗) as PDF: everything worded by the caller (in the
//! reader's language), only ever embedded as escaped string literals.

use crate::escape::{array, str_lit};
use crate::world::DocWorld;
use crate::{DocError, Fonts};

const TEMPLATE: &str = include_str!("casefile.typ");

/// A case file's contents, already worded.
#[derive(Debug, Clone, Default)]
pub struct CaseFile {
    pub title: String,
    pub number: String,
    /// The headings: summary, parties, timeline, files.
    pub labels: [String; 4],
    /// The summary: label and value.
    pub summary: Vec<(String, String)>,
    /// The parties' table: a header of four and rows of four (role, name, ID number, phone).
    pub parties_header: [String; 4],
    pub parties: Vec<[String; 4]>,
    /// The timeline: a header of three and rows of three (when, who, what).
    pub timeline_header: [String; 3],
    pub timeline: Vec<[String; 3]>,
    /// The files beside the PDF in the archive.
    pub files: Vec<String>,
}

fn row<const N: usize>(cells: &[String; N]) -> String {
    array(cells.iter().map(|c| str_lit(c)))
}

fn source(file: &CaseFile, families: &[String]) -> String {
    let labels = &file.labels;
    format!(
        "#let doc = (fonts: {}, title: {}, number: {}, labels: (summary: {}, parties: {}, timeline: {}, files: {}), summary: {}, parties-header: {}, parties: {}, timeline-header: {}, timeline: {}, files: {})\n\n{TEMPLATE}",
        array(families.iter().map(|f| str_lit(f))),
        str_lit(&file.title),
        str_lit(&file.number),
        str_lit(&labels[0]),
        str_lit(&labels[1]),
        str_lit(&labels[2]),
        str_lit(&labels[3]),
        array(file.summary.iter().map(|(k, v)| array([str_lit(k), str_lit(v)]))),
        row(&file.parties_header),
        array(file.parties.iter().map(row)),
        row(&file.timeline_header),
        array(file.timeline.iter().map(row)),
        array(file.files.iter().map(|f| str_lit(f))),
    )
}

/// Renders the case file as an A4 PDF.
///
/// # Errors
///
/// [`DocError::Compile`] or [`DocError::Pdf`] if typst fails (a bug here, not bad input).
pub fn case_file_pdf(fonts: &Fonts, file: &CaseFile) -> Result<Vec<u8>, DocError> {
    crate::render::compile_pdf(&DocWorld::new(fonts, source(file, fonts.families()), Vec::new())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_client_data_stays_text() {
        let file = CaseFile {
            title: "#panic()".into(),
            parties: vec![["a".into(), "*b*".into(), "c".into(), "d".into()]],
            ..CaseFile::default()
        };
        let text = source(&file, &[]);
        assert!(text.contains("\"#panic()\""), "{text}");
        assert!(text.contains("\"*b*\""), "{text}");
    }
}
