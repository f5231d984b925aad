//! Spreadsheets (.xlsx) with rust_xlsxwriter: a table of text and numbers as the caller has
//! already worded it (the caller's language), one sheet per table.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::DocError;

/// One cell: text, a number, or nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

/// A sheet: its name (at most 31 characters, as Excel allows), a header row and the rows.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The sheets as one .xlsx workbook.
pub fn workbook_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, DocError> {
    build(sheets).map_err(|e| DocError::Workbook(e.to_string()))
}

fn build(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet.name.chars().take(31).collect::<String>())?;
        for (column, title) in sheet.header.iter().enumerate() {
            worksheet.write_string_with_format(0, column as u16, title, &bold)?;
            worksheet.set_column_width(column as u16, if column == 0 { 24 } else { 14 })?;
        }
        for (row, cells) in sheet.rows.iter().enumerate() {
            let row = row as u32 + 1;
            for (column, cell) in cells.iter().enumerate() {
                match cell {
                    Cell::Text(text) => worksheet.write_string(row, column as u16, text)?,
                    Cell::Number(number) => worksheet.write_number(row, column as u16, *number)?,
                    Cell::Empty => worksheet,
                };
            }
        }
    }
    workbook.save_to_buffer()
}
