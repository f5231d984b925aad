//! 批量导入 — the administrator's bulk import of units or users from a CSV file: a preview of
//! what would be created with every fault named by its line and field, then the creation, all
//! or nothing. The file is read by `domain::import`, checked against the data and written by
//! the store; the preview and the import check alike, so what the preview passes is imported.

use domain::authz::{self, Permission, Resource};
pub use domain::import::{ImportKind, Line, MAX_BYTES, MAX_ROWS, fault_line};
use domain::validation::FieldError;
pub use store::import::ImportedUser;

use crate::{App, AppError, Result, Viewer};

/// What a file would create: its lines as written and the faults that stand in the way.
#[derive(Debug, Clone)]
pub struct ImportPreview {
    pub kind: ImportKind,
    pub lines: Vec<Line>,
    pub faults: Vec<FieldError>,
}

/// What an import created: how many, and each new user's initial password (shown once).
#[derive(Debug, Clone)]
pub struct ImportOutcome {
    pub created: usize,
    pub users: Vec<ImportedUser>,
}

impl App {
    /// Reads and checks a file without creating anything. `Invalid` (field `file`) when the file
    /// as a whole cannot be read; the faults of single lines are in the preview.
    pub async fn org_import_preview(&self, viewer: &Viewer, kind: ImportKind, text: &str) -> Result<ImportPreview> {
        authz::may(viewer.role, Permission::OrganisationManage, Resource::ANY)?;
        let (lines, mut faults) = match kind {
            ImportKind::Units => {
                let file = domain::import::units(text).map_err(AppError::Invalid)?;
                let checked = self.store.units_import_check(&file.rows).await?;
                (file.lines, [file.faults, checked].concat())
            }
            ImportKind::Users => {
                let file = domain::import::users(text).map_err(AppError::Invalid)?;
                let checked = self.store.users_import_check(&file.rows).await?;
                (file.lines, [file.faults, checked].concat())
            }
        };
        faults.sort_by_key(|f| fault_line(&f.field));
        Ok(ImportPreview { kind, lines, faults })
    }

    /// Creates every line of the file in one transaction, or nothing: `Invalid` with every
    /// fault, each named by its line, when any line is at fault.
    pub async fn org_import(&self, viewer: &Viewer, kind: ImportKind, text: &str) -> Result<ImportOutcome> {
        let preview = self.org_import_preview(viewer, kind, text).await?;
        if !preview.faults.is_empty() {
            return Err(AppError::Invalid(preview.faults));
        }
        Ok(match kind {
            ImportKind::Units => {
                let file = domain::import::units(text).map_err(AppError::Invalid)?;
                ImportOutcome { created: self.store.units_import(&file.rows).await?, users: Vec::new() }
            }
            ImportKind::Users => {
                let file = domain::import::users(text).map_err(AppError::Invalid)?;
                let users = self.store.users_import(&file.rows, self.now()).await?;
                ImportOutcome { created: users.len(), users }
            }
        })
    }
}
