//! 导出 (issue 18): the cases of any list filter as CSV, Excel or JSON — in the viewer's scope,
//! at most [`EXPORT_LIMIT`] cases (a filter matching more is refused: narrow it), the parties
//! masked, and every export recorded (who, when, the filters, how many).

use domain::msg;
use domain::validation::FieldError;
use store::cases::{CaseFilter, CaseListRow};
pub use store::export::{EXPORT_LIMIT, MaskedParty};

use crate::{App, AppError, Result, Viewer};

/// The formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

impl ExportFormat {
    /// The format a query names, or the field error saying which there are.
    pub fn parse(value: Option<&str>) -> Result<Self, FieldError> {
        match value.map(str::trim) {
            None | Some("") => Err(FieldError::required("format")),
            Some("csv") => Ok(ExportFormat::Csv),
            Some("xlsx") => Ok(ExportFormat::Xlsx),
            Some("json") => Ok(ExportFormat::Json),
            Some(_) => Err(FieldError::not_one_of("format", "csv, xlsx, json")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Json => "application/json",
        }
    }
}

/// The columns of the CSV and Excel forms (the JSON form uses the same names).
const COLUMNS: &[&str] = &[
    "number",
    "status",
    "channel",
    "category",
    "risk",
    "title",
    "region_code",
    "lead_unit_id",
    "created_at",
    "next_due_at",
    "parties",
];

fn time(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|t| t.with_timezone(&domain::china_time()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

/// The parties in one cell: `role:name:id_number:phone`, separated by `; `, all masked.
fn parties_cell(parties: &[MaskedParty]) -> String {
    parties
        .iter()
        .map(|p| {
            let mut parts = vec![p.role.clone(), p.name.clone()];
            parts.extend(p.id_number.clone());
            parts.extend(p.phone.clone());
            parts.join(" ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn cells(row: &CaseListRow, parties: &[MaskedParty]) -> Vec<String> {
    vec![
        row.number.clone(),
        row.status.clone(),
        row.channel.clone(),
        row.category.clone(),
        row.risk.clone(),
        row.title.clone().unwrap_or_default(),
        row.region_code.clone(),
        row.lead_unit_id.map(|u| u.to_string()).unwrap_or_default(),
        time(Some(row.created_at)),
        time(row.next_due_at),
        parties_cell(parties),
    ]
}

/// A CSV field, quoted when it must be (RFC 4180); a leading `=`, `+`, `-` or `@` is prefixed
/// with `'` so that a spreadsheet never runs text from a case as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

impl App {
    /// The export of `filter` in `format` (bytes, and how many cases it holds), recorded with
    /// `filters` (the query as asked).
    pub async fn case_export(
        &self,
        viewer: &Viewer,
        filter: &CaseFilter,
        format: ExportFormat,
        filters: &str,
    ) -> Result<(Vec<u8>, usize)> {
        let rows = self.store.case_export_rows(viewer, filter, self.now()).await?;
        if rows.len() as i64 > EXPORT_LIMIT {
            return Err(AppError::field(FieldError::new(
                "filters",
                "too_many",
                msg!("export.too_many", limit = EXPORT_LIMIT),
            )));
        }
        let count = rows.len();
        let bytes = match format {
            ExportFormat::Csv => {
                // A byte-order mark, so that Excel reads the UTF-8 as such.
                let mut text = String::from("\u{feff}");
                text.push_str(&COLUMNS.join(","));
                text.push_str("\r\n");
                for (row, parties) in &rows {
                    let line: Vec<String> = cells(row, parties).iter().map(|c| csv_field(c)).collect();
                    text.push_str(&line.join(","));
                    text.push_str("\r\n");
                }
                text.into_bytes()
            }
            ExportFormat::Json => {
                let items: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(row, parties)| {
                        let values = cells(row, parties);
                        let mut object = serde_json::Map::new();
                        for (column, value) in COLUMNS.iter().zip(values) {
                            object.insert((*column).to_owned(), serde_json::Value::String(value));
                        }
                        object.insert("id".into(), row.id.into());
                        object.insert(
                            "parties".into(),
                            parties
                                .iter()
                                .map(|p| {
                                    serde_json::json!({"role": p.role, "kind": p.kind, "name": p.name,
                                        "id_number": p.id_number, "phone": p.phone})
                                })
                                .collect(),
                        );
                        serde_json::Value::Object(object)
                    })
                    .collect();
                serde_json::to_vec(&items).map_err(|e| AppError::Internal(e.to_string()))?
            }
            ExportFormat::Xlsx => {
                use docs::{Cell, Sheet};
                let sheet = Sheet {
                    name: "cases".into(),
                    header: COLUMNS.iter().map(|c| (*c).to_owned()).collect(),
                    rows: rows
                        .iter()
                        .map(|(row, parties)| cells(row, parties).into_iter().map(Cell::Text).collect())
                        .collect(),
                };
                tokio::task::spawn_blocking(move || docs::workbook_xlsx(&[sheet]))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map_err(|e| AppError::Internal(e.to_string()))?
            }
        };
        self.store.case_export_record(viewer, format.as_str(), filters, count as i64, self.now()).await?;
        Ok((bytes, count))
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=1+1"), "'=1+1");
        assert_eq!(csv_field("张*"), "张*");
    }
}
