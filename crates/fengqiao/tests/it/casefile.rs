//! 电子卷宗 (issue 18): `GET /api/v1/cases/{id}/file` — a ZIP of the case's PDF, its stored
//! files and a manifest of SHA-256 hashes that verifies, and fails once any entry is altered.

use std::io::Read;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::TestApp;

on_both_backends!(the_case_file_holds_the_pdf_the_files_and_a_manifest_that_verifies,);

pub(crate) fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

/// Checks a manifest as `sha256sum -c` would: every line's hash is its entry's.
fn verify(entries: &[(String, Vec<u8>)]) -> Result<usize, String> {
    let manifest = entries.iter().find(|(n, _)| n == "manifest.txt").ok_or("no manifest")?;
    let text = String::from_utf8(manifest.1.clone()).unwrap();
    let mut checked = 0;
    for line in text.lines() {
        let (hash, name) = line.split_once("  ").ok_or("bad line")?;
        let entry = entries.iter().find(|(n, _)| n == name).ok_or(format!("{name} missing"))?;
        if store::blobs::sha256_hex(&entry.1) != hash {
            return Err(format!("{name} altered"));
        }
        checked += 1;
    }
    Ok(checked)
}

async fn the_case_file_holds_the_pdf_the_files_and_a_manifest_that_verifies(app: TestApp) {
    let (case, mediator) = crate::mediation::case_with_the_mediator(&app).await;
    let png = b"\x89PNG\r\n\x1a\n-evidence".to_vec();
    let response = app
        .client
        .post(format!("{}/api/v1/cases/{}/evidence?name=photo.png", app.base, case["id"]))
        .bearer_auth(&mediator)
        .header("content-type", "image/png")
        .body(png.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let evidence: Value = response.json().await.unwrap();

    let path = format!("/api/v1/cases/{}/file", case["id"]);
    let response = app.client.get(format!("{}{path}", app.base)).bearer_auth(&mediator).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap();
    let mut files = entries(&bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["case.pdf", &format!("evidence/{}-photo.png", evidence["id"]), "manifest.txt"]);
    assert!(files[0].1.starts_with(b"%PDF"), "the case as PDF");
    // People read it: codes as their labels, who acted by name.
    let text = crate::support::pdf_text(&app, &files[0].1);
    for label in ["电子卷宗", "申请人", "登记"] {
        assert!(text.contains(label), "{label} not in the case file:\n{text}");
    }
    for code in ["applicant", "in_progress", "walk_in", "registered", "user:"] {
        assert!(!text.contains(code), "the code {code} in the case file:\n{text}");
    }
    assert_eq!(files[1].1, png, "the evidence as uploaded");
    assert_eq!(verify(&files), Ok(2));

    // Any entry altered, the manifest no longer verifies.
    files[1].1.push(b'!');
    assert_eq!(verify(&files), Err(format!("evidence/{}-photo.png altered", evidence["id"])));

    // Outside the scope the case is not found; without a token, 401; a reveal needs a reason.
    let street_b = app.login("street_b").await;
    let (status, _) = app.get(&path, &street_b).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.call(Method::GET, &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app.get(&format!("{path}?reveal=true"), &mediator).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "reason", "{body}");
    let leader = app.login("leader").await;
    let (status, body) = app.get(&format!("{path}?reveal=true&reason=%E5%BD%92%E6%A1%A3"), &leader).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a leader may not see full personal data: {body}");
}
