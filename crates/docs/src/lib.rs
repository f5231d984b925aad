//! Renders People's Mediation agreements (人民调解协议书) and periodic reports to PDF with
//! typst, and tables to .xlsx workbooks with rust_xlsxwriter.
//!
//! ```no_run
//! use docs::{Agreement, DEFAULT_FONT_DIR, Fonts, agreement_pdf};
//!
//! // Once per process; cheap to clone and share between threads.
//! let fonts = Fonts::from_dir(std::path::Path::new(DEFAULT_FONT_DIR))?;
//! let agreement = Agreement { title: "人民调解协议书".into(), ..Agreement::default() };
//! let pdf: Vec<u8> = agreement_pdf(&fonts, &agreement)?;
//! # Ok::<(), docs::DocError>(())
//! ```
//!
//! Client data is only ever embedded in the generated typst source as escaped string literals, so it is
//! printed verbatim and cannot inject markup or code.

mod casefile;
mod error;
mod escape;
mod fonts;
mod model;
mod render;
mod report;
mod source;
mod workbook;
mod world;

pub use casefile::{CaseFile, case_file_pdf};
pub use error::DocError;
pub use fonts::{DEFAULT_FONT_DIR, Fonts};
pub use model::{Agreement, Party, Signature, Term};
pub use render::{MAX_SIGNATURES, agreement_pdf};
pub use report::{CardRow, ChartBar, Report, ReportCase, ReportFigure, report_pdf, report_xlsx};
pub use workbook::{Cell, Sheet, workbook_xlsx};
