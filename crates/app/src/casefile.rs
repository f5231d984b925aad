//! 电子卷宗 (issue 18): the electronic case file — a ZIP of one PDF of the case (summary,
//! parties masked unless revealed, timeline), every stored file of the case (evidence, the
//! agreements' fixed copies, recordings), and `manifest.txt` with the SHA-256 of each entry in
//! `sha256sum` form (`sha256sum -c manifest.txt` checks an unpacked archive).

use std::collections::HashMap;
use std::io::Write;

use domain::i18n::T;
use domain::ids::CaseId;
use store::blobs::sha256_hex;

use crate::cases::RevealRequest;
use crate::{App, AppError, Result, Viewer};

fn china(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&domain::china_time()).format("%Y-%m-%d %H:%M").to_string()
}

impl App {
    /// The case file of a case in the viewer's scope, or of one its court referred (诉调对接:
    /// a failed referral's file goes back to the court for filing); 404 otherwise. The ZIP's
    /// bytes and the case number. With `reveal` (a role whose work needs it, with a reason
    /// recorded in the history) the parties' ID numbers and phones are in full; otherwise masked.
    pub async fn case_file(
        &self,
        viewer: &Viewer,
        id: CaseId,
        reveal: Option<RevealRequest>,
    ) -> Result<(Vec<u8>, String)> {
        let reveal = self.reveal_checked(viewer, reveal)?;
        let (case, events) = self.store.case_file_get(viewer, id, reveal, self.now()).await?;
        let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, sha256) in self.store.case_file_blobs(case.id).await? {
            entries.push((name, self.blobs.get(&sha256)?));
        }
        let text = |s: &str| s.to_owned();
        // Codes as their labels, who acted by name: the file is read by people (a court, an archive).
        let t = T::default();
        let names: HashMap<String, String> =
            self.users().await?.into_iter().map(|u| (u.username, u.display_name)).collect();
        let actor = |actor: &str| match names.get(actor) {
            Some(name) => name.clone(),
            None if actor == "system" => text("系统"),
            None if actor.starts_with("citizen:") => text("当事人（网上）"),
            None => actor.to_owned(),
        };
        let file = docs::CaseFile {
            title: self.training_marked("电子卷宗"),
            number: case.number.clone(),
            labels: [text("案件概况"), text("当事人"), text("办理经过"), text("卷内文件")],
            summary: vec![
                (text("案件编号"), case.number.clone()),
                (text("标题"), case.title.clone().unwrap_or_default()),
                (text("状态"), t.code("status", case.status.as_str())),
                (text("来源渠道"), t.code("channel", &case.channel)),
                (text("类别"), t.code("category", case.category.as_str())),
                (text("风险"), t.code("risk", case.risk.as_str())),
                (text("地点"), case.location.address.clone().unwrap_or_default()),
                (text("登记时间"), china(case.created_at)),
                (text("纠纷简况"), case.description.clone()),
                (text("办理结果"), case.summary.clone().unwrap_or_default()),
            ],
            parties_header: [text("身份"), text("姓名或名称"), text("证件号码"), text("联系电话")],
            parties: case
                .parties
                .iter()
                .map(|p| {
                    let id = p.id_number.clone().or(p.credit_code.clone()).unwrap_or_default();
                    [t.code("party_role", &p.role), p.name.clone(), id, p.phone.clone().unwrap_or_default()]
                })
                .collect(),
            timeline_header: [text("时间"), text("经办"), text("事项")],
            timeline: events.iter().map(|e| [china(e.at), actor(&e.actor), t.code("event", &e.action)]).collect(),
            files: entries.iter().map(|(name, _)| name.clone()).collect(),
        };
        let fonts = self.documents.fonts()?;
        let number = case.number.clone();
        let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>> {
            let pdf = docs::case_file_pdf(&fonts, &file).map_err(|e| AppError::Internal(e.to_string()))?;
            entries.insert(0, ("case.pdf".to_owned(), pdf));
            archive(&entries).map_err(|e| AppError::Internal(format!("case file archive: {e}")))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
        Ok((bytes, number))
    }
}

/// The entries and their manifest as one ZIP (deflated).
fn archive(entries: &[(String, Vec<u8>)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut manifest = String::new();
    for (name, bytes) in entries {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(bytes)?;
        manifest.push_str(&format!("{}  {name}\n", sha256_hex(bytes)));
    }
    writer.start_file("manifest.txt", options)?;
    writer.write_all(manifest.as_bytes())?;
    Ok(writer.finish()?.into_inner())
}
