//! 导出: the cases of a list filter in the viewer's scope, bounded, with their parties masked
//! (a person's name to its first character, ID numbers and phones as the list shows them),
//! and each export recorded in `case_exports`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::cases::{CaseFilter, CaseListRow, MAX_PAGE_SIZE};
use crate::sql::{args, in_list};
use crate::{Result, Store, Viewer, to_ms};

/// The most cases one export holds; a filter matching more is refused (narrow it).
pub const EXPORT_LIMIT: i64 = 5_000;

/// `(case_id, role, kind, name, id_number_masked, phone_masked)`.
type PartyExportRow = (i64, String, String, String, Option<String>, Option<String>);

/// A party as an export shows it: masked.
#[derive(Debug, Clone)]
pub struct MaskedParty {
    pub role: String,
    pub kind: String,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

/// A person's name masked as the UI's lists do: the first character, then one `*` per
/// character left ("张三丰" → "张**"). An organisation's name is public and kept.
pub fn mask_name(kind: &str, name: &str) -> String {
    if kind != "person" {
        return name.to_owned();
    }
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

impl Store {
    /// The cases of `filter` in the viewer's scope, newest first, at most [`EXPORT_LIMIT`] + 1
    /// (one more tells the caller the filter matches too many), with their masked parties.
    pub async fn case_export_rows(
        &self,
        viewer: &Viewer,
        filter: &CaseFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<(CaseListRow, Vec<MaskedParty>)>> {
        let mut rows = Vec::new();
        // Page by page from the first, each after the last one's end (keyset paging).
        let mut page = CaseFilter { limit: MAX_PAGE_SIZE, offset: 0, after: None, ..filter.clone() };
        loop {
            let list = self.case_list(viewer, &page, now).await?;
            rows.extend(list.items);
            match list.next {
                Some(next) if rows.len() as i64 <= EXPORT_LIMIT => page.after = Some(next),
                _ => break,
            }
        }
        rows.truncate(EXPORT_LIMIT as usize + 1);
        let mut parties: HashMap<i64, Vec<MaskedParty>> = HashMap::new();
        for chunk in rows.chunks(500) {
            let ids: Vec<i64> = chunk.iter().map(|r| r.id).collect();
            let mut args = Vec::new();
            let listed = in_list(&mut args, &ids);
            let found: Vec<PartyExportRow> = self
                .fetch_all(
                    &format!(
                        "SELECT case_id, role, kind, name, id_number_masked, phone_masked FROM parties
                         WHERE case_id IN ({listed}) ORDER BY case_id, position"
                    ),
                    args,
                )
                .await?;
            for (case_id, role, kind, name, id_number, phone) in found {
                let name = mask_name(&kind, &name);
                parties.entry(case_id).or_default().push(MaskedParty { role, kind, name, id_number, phone });
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| {
                let of_case = parties.remove(&row.id).unwrap_or_default();
                (row, of_case)
            })
            .collect())
    }

    /// The stored files of a case (its scope checked by the caller): a name in the archive and
    /// the blob's SHA-256 — evidence, the agreements' fixed copies, the video recordings.
    pub async fn case_file_blobs(&self, case_id: i64) -> Result<Vec<(String, String)>> {
        let mut entries = Vec::new();
        let evidence: Vec<(i64, String, String)> = self
            .fetch_all(
                &format!(
                    "SELECT e.id, e.name, e.sha256 FROM evidence e WHERE e.case_id = $1 AND NOT ({}) ORDER BY e.id",
                    crate::video::PURGED_RECORDING_EVIDENCE
                ),
                args![case_id],
            )
            .await?;
        for (id, name, sha256) in evidence {
            let name: String =
                name.chars().map(|c| if matches!(c, '/' | '\\') || c.is_control() { '_' } else { c }).collect();
            entries.push((format!("evidence/{id}-{name}"), sha256));
        }
        let agreements: Vec<(i64, Option<String>)> = self
            .fetch_all("SELECT id, documents FROM agreements WHERE case_id = $1 ORDER BY id", args![case_id])
            .await?;
        for (id, documents) in agreements {
            let copies: serde_json::Map<String, serde_json::Value> =
                documents.as_deref().and_then(|d| serde_json::from_str(d).ok()).unwrap_or_default();
            for (copy, sha256) in copies {
                if let Some(sha256) = sha256.as_str() {
                    entries.push((format!("agreements/{id}-{copy}.pdf"), sha256.to_owned()));
                }
            }
        }
        let recordings: Vec<(i64, i64, String, String)> = self
            .fetch_all(
                "SELECT r.id, r.session_id, r.content_type, r.sha256 FROM video_recordings r WHERE r.case_id = $1
                   AND NOT EXISTS (SELECT 1 FROM video_recording_purges p WHERE p.recording_id = r.id) ORDER BY r.id",
                args![case_id],
            )
            .await?;
        for (id, session, content_type, sha256) in recordings {
            let extension = content_type.split('/').nth(1).and_then(|s| s.split(';').next()).unwrap_or("bin");
            entries.push((format!("recordings/session-{session}-{id}.{extension}"), sha256));
        }
        Ok(entries)
    }

    /// Records an export: who, when, the format, the filters as asked, how many cases.
    pub async fn case_export_record(
        &self,
        viewer: &Viewer,
        format: &str,
        filters: &str,
        cases: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO case_exports (user_id, at, format, filters, cases) VALUES ($1, $2, $3, $4, $5)",
            args![viewer.user_id, to_ms(now), format, filters, cases],
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::mask_name;

    #[test]
    fn a_persons_name_keeps_its_first_character_and_an_organisations_all() {
        assert_eq!(mask_name("person", "张三丰"), "张**");
        assert_eq!(mask_name("person", "李"), "李");
        assert_eq!(mask_name("organisation", "兰州某物业公司"), "兰州某物业公司");
    }
}
