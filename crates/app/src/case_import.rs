//! 历史案件导入 — an administrator's import of historical cases from an Excel workbook: a
//! preview of every row with its faults (nothing written), then the import of every row in one
//! transaction, or of none. The workbook is read here with calamine into cells; the rows are
//! checked by `domain::case_import` and against the data by the store; the preview and the
//! import check alike, so what the preview passes is imported.
//!
//! The administrator's page stages a workbook whose preview passes: it is kept in the data
//! directory under its SHA-256 (every node that shares the directory finds it), the
//! confirmation names it by that digest, and it is removed once imported or after
//! [`STAGED_FOR`]. A workbook of up to 10 MB is not sent back and forth through the browser,
//! nor chosen again by hand, and the file imported is byte for byte the one previewed.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use domain::authz::{self, Permission, Resource};
pub use domain::case_import::{
    COLUMNS, Column, HistoricalCase, MAX_BYTES, MAX_ROWS, Row, SheetCell, Tally, faulted_rows, tally,
};
use domain::i18n::T;
use domain::import::{SentImport, SentItem, fault_line};
use domain::msg;
use domain::validation::FieldError;
/// Names in a preview's sample rows are masked as the lists mask them.
pub use store::export::mask_name;

use crate::{App, AppError, Result, Viewer};

/// How long a staged workbook waits for its confirmation.
pub const STAGED_FOR: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// What a workbook would create: its rows as written and the faults that stand in the way.
#[derive(Debug, Clone)]
pub struct CaseImportPreview {
    pub rows: Vec<Row>,
    pub faults: Vec<FieldError>,
    /// The rows that would be imported (every row, when there is no fault).
    pub importable: usize,
    /// The cases of the faultless rows.
    pub cases: Vec<HistoricalCase>,
}

/// A case a workbook created, for the page that lists them.
#[derive(Debug, Clone)]
pub struct ImportedCase {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub category: String,
}

impl App {
    /// Reads and checks a workbook without writing anything. `Invalid` (field `file`) when the
    /// workbook as a whole cannot be read; the faults of single rows are in the preview.
    pub async fn case_import_preview(&self, viewer: &Viewer, bytes: &[u8]) -> Result<CaseImportPreview> {
        let (import, faults) = self.case_import_read(viewer, bytes).await?;
        Ok(CaseImportPreview { importable: import.cases.len(), rows: import.rows, faults, cases: import.cases })
    }

    /// The preview of a workbook and — when no row is at fault — the workbook staged for its
    /// confirmation, named by its SHA-256. Workbooks staged longer than [`STAGED_FOR`] ago
    /// are removed on the way.
    pub async fn case_import_stage(
        &self,
        viewer: &Viewer,
        bytes: &[u8],
    ) -> Result<(CaseImportPreview, Option<String>)> {
        let preview = self.case_import_preview(viewer, bytes).await?;
        self.staged.remove_older_than(STAGED_FOR);
        let staged = if preview.faults.is_empty() { Some(self.staged.put(bytes)?) } else { None };
        Ok((preview, staged))
    }

    /// Imports a staged workbook (see [`App::case_import`]), then removes it. `Invalid` (field
    /// `file`) when it is no longer staged.
    pub async fn case_import_staged(&self, viewer: &Viewer, sha256: &str) -> Result<usize> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        let bytes = self.staged.get(sha256).map_err(|_| {
            AppError::Invalid(vec![FieldError::new("file", "expired", msg!("case_import.staged_gone"))])
        })?;
        let imported = self.case_import(viewer, &bytes).await?;
        // The cases are in; a staged file left behind is removed with the stale ones later.
        if let Err(error) = self.staged.remove(sha256) {
            tracing::warn!(%error, "the imported workbook stays staged");
        }
        Ok(imported)
    }

    /// The cases the workbook `sha256` created, `limit` from `offset`, and how many there are.
    pub async fn cases_of_import(
        &self,
        viewer: &Viewer,
        sha256: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(i64, Vec<ImportedCase>)> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(AppError::NotFound { what: "import" });
        }
        let (total, rows) = self.store.cases_of_import(sha256, limit, offset).await?;
        let cases =
            rows.into_iter().map(|(id, number, status, category)| ImportedCase { id, number, status, category });
        Ok((total, cases.collect()))
    }

    /// Imports every row of a workbook in one transaction, or nothing: `Invalid` with every
    /// fault, each named by its row, when any row is at fault, or when this very workbook was
    /// imported before. How many cases were created.
    pub async fn case_import(&self, viewer: &Viewer, bytes: &[u8]) -> Result<usize> {
        let (import, faults) = self.case_import_read(viewer, bytes).await?;
        if !faults.is_empty() {
            return Err(AppError::Invalid(faults));
        }
        let sha256 = store::blobs::sha256_hex(bytes);
        let ids = self.store.cases_import(viewer, &sha256, &import.cases, self.now()).await?;
        Ok(ids.len())
    }

    async fn case_import_read(
        &self,
        viewer: &Viewer,
        bytes: &[u8],
    ) -> Result<(domain::case_import::CaseImport, Vec<FieldError>)> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        // A workbook is imported once: sent again (a second tab, a retry), it creates nothing.
        let (done, _) = self.store.cases_of_import(&store::blobs::sha256_hex(bytes), 0, 0).await?;
        if done > 0 {
            let fault = msg!("case_import.already_imported", count = done);
            return Err(AppError::Invalid(vec![FieldError::new("file", "already_imported", fault)]));
        }
        let sheet = sheet_cells(bytes).map_err(|fault| AppError::Invalid(vec![fault]))?;
        let today = self.now().with_timezone(&domain::china_time()).date_naive();
        let import = domain::case_import::read(&sheet, today).map_err(AppError::Invalid)?;
        let regions: Vec<_> = import.cases.iter().map(|case| (case.line, case.region_code.clone())).collect();
        let checked = self.store.import_regions_check(&regions).await?;
        let mut faults = [import.faults.clone(), checked].concat();
        faults.sort_by_key(|f| fault_line(&f.field));
        Ok((import, faults))
    }

    /// A sent workbook (a court's referrals, a 12345 centre's work orders) checked against the
    /// organisation as well — in the preview as in the import, each region code it does not
    /// know a fault of its row: the rows as written, the rows that would be received (those at
    /// no fault), and every fault in the rows' order.
    pub(crate) async fn sent_checked(&self, read: SentImport) -> Result<(Vec<Row>, Vec<SentItem>, Vec<FieldError>)> {
        let unknown = self.store.import_regions_check(&read.regions).await?;
        let mut faults = [read.faults, unknown].concat();
        faults.sort_by_key(|f| fault_line(&f.field));
        let items =
            read.items.into_iter().filter(|item| !faults.iter().any(|f| fault_line(&f.field) == Some(item.line)));
        Ok((read.rows, items.collect(), faults))
    }
}

/// The fault of a workbook larger than [`MAX_BYTES`].
pub fn too_large() -> FieldError {
    FieldError::new("file", "too_large", msg!("case_import.too_large", max = MAX_BYTES / (1024 * 1024)))
}

/// The first worksheet's cells, row by row (any workbook uploaded: historical cases, work
/// orders).
pub(crate) fn sheet_cells(bytes: &[u8]) -> std::result::Result<Vec<Vec<SheetCell>>, FieldError> {
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    let unreadable = || FieldError::new("file", "unreadable", msg!("case_import.unreadable"));
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let range = workbook.worksheet_range_at(0).ok_or_else(unreadable)?.map_err(|_| unreadable())?;
    // The range starts at its first used cell: rows before it are blank, and counted.
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let mut sheet: Vec<Vec<SheetCell>> = vec![Vec::new(); first_row as usize];
    for row in range.rows() {
        let mut cells = vec![SheetCell::Empty; first_column as usize];
        cells.extend(row.iter().map(cell));
        sheet.push(cells);
    }
    Ok(sheet)
}

fn cell(data: &Data) -> SheetCell {
    match data {
        Data::Empty | Data::Error(_) => SheetCell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => SheetCell::Text(s.clone()),
        Data::Float(f) => SheetCell::Number(*f),
        Data::Int(i) => SheetCell::Number(*i as f64),
        Data::Bool(b) => SheetCell::Text(b.to_string()),
        // A date cell holds its serial number, shown as the date it is.
        Data::DateTime(dt) => {
            domain::case_import::excel_serial(dt.as_f64()).map_or(SheetCell::Number(dt.as_f64()), SheetCell::Date)
        }
    }
}

/// The template workbook: the header row in `t`'s language, the required columns marked `*`,
/// and a sample row.
pub fn template(t: T) -> Vec<u8> {
    let sample = [
        "2023-05-01",
        &t.code("category", "marriage_family"),
        &t.code("channel", "window"),
        "620102003000",
        "张三",
        "",
        "13912345678",
        "李四",
        "离婚后子女抚养费纠纷（示例行，导入前请删除）",
        &t.code("outcome", "resolved"),
        "2023-05-20",
    ];
    template_of(t, &COLUMNS, &sample)
}

/// A template workbook of `columns`: the header row in `t`'s language, the required columns
/// marked `*`, and the sample row.
pub(crate) fn template_of(t: T, columns: &[Column], sample: &[&str]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let header = domain::case_import::template_header(t, columns);
    for (column, ((name, (_, required, _)), example)) in header.iter().zip(columns).zip(sample).enumerate() {
        let column = u16::try_from(column).unwrap_or(0);
        let name = if *required { format!("{name}*") } else { name.clone() };
        // Writing strings to a new sheet within its limits cannot fail.
        let _ = sheet.write_string(0, column, name);
        let _ = sheet.write_string(1, column, *example);
        let _ = sheet.set_column_width(column, 16);
    }
    workbook.save_to_buffer().unwrap_or_default()
}
