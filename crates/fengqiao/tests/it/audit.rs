//! `fengqiao audit verify` against tampering outside the event table (issue 12, defect 2): every
//! row a case owns is vouched for by its history, and the daily checkpoints are keyed and
//! published outside the database. On SQLite and on PostgreSQL.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::mediation::{SIGNATURE, case_with_the_mediator, links};
use crate::on_both_backends;
use crate::support::{TestApp, id_number, registration};

on_both_backends!(
    every_row_a_case_owns_is_vouched_for_by_its_history,
    a_history_from_before_rows_were_recorded_is_legacy_until_its_next_step,
    checkpoints_are_keyed_and_published,
    checkpoints_taken_before_roots_were_keyed_verify_as_taken,
);

/// A case with a row in every table a case owns — hop, assigned units, mediator, session,
/// evidence, an agreement with its signers, service, confirmation and performance, a notice —
/// verifies clean (a wrong code and an acknowledged notice, which change rows without an
/// event, included); then each table is tampered with by SQL, and `audit verify` names the
/// case, the row and what was done to it.
async fn every_row_a_case_owns_is_vouched_for_by_its_history(app: TestApp) {
    app.set_now("2026-11-02T09:00:00+08:00");
    let (case, mediator) = case_with_the_mediator(&app).await;
    let case_path = format!("/api/v1/cases/{}", case["id"]);
    let number = case["number"].as_str().unwrap().to_owned();
    let (_, suggestions) = app.get(&format!("{case_path}/mediators"), &mediator).await;
    let chosen = suggestions[0]["user_id"].clone();
    let choose = json!({"user_id": chosen, "chosen_by": "party"});
    let (status, body) = app.call(Method::PUT, &format!("{case_path}/mediator"), Some(&mediator), Some(choose)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session =
        json!({"mode": "in_person", "scheduled_at": "2026-11-03T09:30:00+08:00", "place": "张掖路街道调解室"});
    let (status, session) = app.post(&format!("{case_path}/sessions"), &mediator, session).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let upload = app
        .client
        .post(format!("{}{case_path}/evidence?name=photo.png", app.base))
        .bearer_auth(&mediator)
        .header("content-type", "image/png")
        .body(b"\x89PNG\r\n\x1a\n-evidence".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), StatusCode::CREATED);
    let evidence: Value = upload.json().await.unwrap();

    let draft =
        json!({"matters": "漏水赔偿", "terms": [{"text": "李明赔偿王建国房屋修复费用八千元", "due": "2026-11-30"}]});
    let (status, agreement) = app.post(&format!("{case_path}/agreements"), &mediator, draft).await;
    assert_eq!(status, StatusCode::CREATED, "{agreement}");
    let agreement_id = agreement["id"].as_i64().unwrap();
    let path = format!("/api/v1/agreements/{agreement_id}");
    app.post(&format!("{path}/signing"), &mediator, json!({})).await;
    for (token, code) in links(&app, "/sign/").await {
        let sign_path = format!("/api/v1/sign/{token}");
        let sign = |code: &str| {
            let body = json!({"code": code, "signature": SIGNATURE});
            app.call(Method::POST, &sign_path, None, Some(body))
        };
        let code = code.unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_eq!(sign(wrong).await.0, StatusCode::UNPROCESSABLE_ENTITY, "a wrong code: no event");
        assert_eq!(sign(&code).await.0, StatusCode::OK);
    }
    app.post(&format!("{path}/mediator-signature"), &mediator, json!({"signature": SIGNATURE})).await;
    let (status, sealed) = app.post(&format!("{path}/seal"), &mediator, json!({})).await;
    assert_eq!((status, sealed["status"].as_str()), (StatusCode::OK, Some("effective")), "{sealed}");
    // The copies are fixed after the seal's answer; the first download waits for them.
    assert_eq!(app.get(&format!("{path}/pdf"), &mediator).await.0, StatusCode::OK);
    let (status, served) = app.post(&format!("{path}/service"), &mediator, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{served}");
    let (token, _) = links(&app, "/served/").await.remove(0);
    assert_eq!(app.client.get(format!("{}/served/{token}", app.base)).send().await.unwrap().status(), StatusCode::OK);
    let (status, body) = app.post(&format!("{path}/confirmation"), &mediator, json!({"applicants": [0, 1]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let performance = json!({"term": 0, "status": "performed", "note": "已转账"});
    assert_eq!(app.post(&format!("{path}/performance"), &mediator, performance).await.0, StatusCode::OK);
    let leader = app.login("leader").await;
    let order = json!({"kind": "order", "text": "请于三日内办结并书面回复。"});
    let (status, notice) = app.post(&format!("{case_path}/notices"), &leader, order).await;
    assert_eq!(status, StatusCode::CREATED, "{notice}");
    let acknowledge = format!("/api/v1/notices/{}/acknowledge", notice["id"]);
    assert_eq!(app.post(&acknowledge, &mediator, json!({})).await.0, StatusCode::OK, "acknowledged: no event");

    let clean = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&clean.stdout);
    assert!(clean.status.success() && !out.contains("legacy"), "{out}");
    // The digests are for the audit, not for the case page's timeline.
    let cookie = format!("fq_session={}", crate::support::ui_session(&app, "mediator").await);
    let (_, page) = crate::support::ui_get(&app, &cookie, &format!("/cases/{}", case["id"])).await;
    let dispatched = app.sql_texts("SELECT data FROM case_events WHERE action = 'dispatch'").await.remove(0);
    let digest = serde_json::from_str::<Value>(&dispatched).unwrap()["rows"]["hops/1"].as_str().unwrap().to_owned();
    assert!(!page.contains(&digest) && !page.contains("hops/1"), "{page}");

    let id = case["id"].as_i64().unwrap();
    let first = |sql: &str| {
        let sql = sql.to_owned();
        let app = &app;
        async move { app.sql_texts(&sql).await.remove(0) }
    };
    let court = first("SELECT CAST(unit_id AS TEXT) FROM case_units WHERE role = 'court'").await;
    let performance = first("SELECT CAST(id AS TEXT) FROM performances").await;
    let opened = first("SELECT CAST(party_index AS TEXT) FROM deliveries WHERE opened_at IS NOT NULL").await;
    app.sql(&format!(
        "UPDATE hops SET return_reason = '改过' WHERE case_id = {id};
         DELETE FROM case_units WHERE case_id = {id} AND role = 'court';
         UPDATE case_mediators SET chosen_by = 'centre' WHERE case_id = {id};
         UPDATE mediation_sessions SET place = '别处' WHERE case_id = {id};
         INSERT INTO evidence (case_id, sha256, name, content_type, size, uploaded_by, uploaded_at)
             SELECT case_id, sha256, 'added.png', content_type, size, uploaded_by, uploaded_at FROM evidence WHERE case_id = {id};
         UPDATE evidence SET name = 'renamed.png' WHERE id = {evidence};
         UPDATE agreements SET content = REPLACE(content, '八千', '八万') WHERE id = {agreement_id};
         UPDATE agreement_signers SET code_hash = 'chosen' WHERE agreement_id = {agreement_id} AND party_index = 1;
         UPDATE deliveries SET opened_at = NULL WHERE agreement_id = {agreement_id} AND party_index = {opened};
         UPDATE confirmations SET decision = 'confirmed' WHERE agreement_id = {agreement_id};
         DELETE FROM performances WHERE id = {performance};
         UPDATE notices SET text = '无需办理' WHERE case_id = {id}",
        evidence = evidence["id"],
    ))
    .await;
    let added = first("SELECT CAST(MAX(id) AS TEXT) FROM evidence").await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert_eq!(broken.status.code(), Some(1), "{out}");
    let named: Vec<&str> = out.lines().filter(|l| l.starts_with(&format!("BROKEN case {number} "))).collect();
    for expected in [
        "hop 1 differs from what event".to_owned(),
        format!("assigned unit {court}, recorded by event"),
        format!("mediator (user {chosen}) differs"),
        format!("mediation session {} differs", session["id"]),
        format!("evidence {} differs", evidence["id"]),
        format!("evidence {added} is in no event of the history: it was added"),
        format!("agreement {agreement_id} differs"),
        format!("signer (agreement/party) {agreement_id}/1 differs"),
        format!("service (agreement/party) {agreement_id}/{opened} differs"),
        format!("judicial confirmation of agreement {agreement_id} differs"),
        format!("performance record {performance}, recorded by event"),
        format!("notice {} differs", notice["id"]),
    ] {
        assert!(named.iter().any(|l| l.contains(&expected)), "{expected} not named:\n{out}");
    }
    assert!(out.contains("1 case(s) with a broken history"), "{out}");

    // The next step records the rows as it finds them — and names each one it does not write.
    let (_, now) = app.get(&case_path, &mediator).await;
    let (status, body) = app.act(&mediator, &now, json!({"action": "note", "text": "电话回访"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let laundered = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&laundered.stdout);
    assert_eq!(laundered.status.code(), Some(1), "{out}");
    for row in [format!("agreement {agreement_id}"), format!("evidence {added}"), format!("notice {}", notice["id"])] {
        let expected = format!("{row} changed before event");
        let line = out.lines().find(|l| l.contains(&expected)).unwrap_or_else(|| panic!("{expected}:\n{out}"));
        assert!(line.contains("(note), which does not write it"), "{out}");
    }
}

/// A case whose history was written before events recorded `rows` (its events rewritten here as
/// they were, the chain recomputed) verifies, counted as legacy; its next step records every row
/// it owns, from which on they are checked.
async fn a_history_from_before_rows_were_recorded_is_legacy_until_its_next_step(app: TestApp) {
    let intake = app.login("intake").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 7), "13912345678")).await;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let (status, case) =
        app.act(&app.login("district").await, &case, json!({"action": "dispatch", "unit_id": a1})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let id = case["id"].as_i64().unwrap();
    let fields = app
        .sql_texts(&format!(
            "SELECT CAST(seq AS TEXT) || '|' || CAST(at AS TEXT) || '|' || actor || '|' || action FROM case_events WHERE case_id = {id} ORDER BY seq"
        ))
        .await;
    let data = app.sql_texts(&format!("SELECT data FROM case_events WHERE case_id = {id} ORDER BY seq")).await;
    let mut previous = domain::history::GENESIS.to_owned();
    let mut rewrite = String::new();
    for (fields, data) in fields.iter().zip(&data) {
        let fields: Vec<&str> = fields.splitn(4, '|').collect();
        let mut data: Value = serde_json::from_str(data).unwrap();
        data.as_object_mut().unwrap().remove("rows");
        let data = data.to_string();
        let seq: i64 = fields[0].parse().unwrap();
        let event = domain::history::EventFields {
            case_id: id,
            seq,
            at_ms: fields[1].parse().unwrap(),
            actor: fields[2],
            action: fields[3],
            data: &data,
        };
        previous = domain::history::event_hash(&previous, event);
        rewrite += &format!(
            "UPDATE case_events SET data = '{}', hash = '{previous}' WHERE case_id = {id} AND seq = {seq};",
            data.replace('\'', "''")
        );
    }
    app.sql(&format!("{rewrite} UPDATE cases SET event_hash = '{previous}' WHERE id = {id}")).await;
    let legacy = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&legacy.stdout);
    assert!(legacy.status.success() && out.contains("legacy: 1 case(s) whose hops"), "{out}");

    let (status, case) = app.act(&app.login("street_a").await, &case, json!({"action": "sign"})).await;
    assert_eq!(status, StatusCode::OK, "{case}");
    let recorded = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&recorded.stdout);
    assert!(recorded.status.success() && !out.contains("legacy"), "{out}");
    app.sql(&format!("UPDATE case_units SET role = 'assist' WHERE case_id = {id} AND unit_id = {a1}")).await;
    let broken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&broken.stdout);
    assert!(out.contains(&format!("assigned unit {a1} differs from what event")), "{out}");
}

/// The scheduler takes each day's checkpoint once, keyed, and publishes its root in
/// `audit-roots.log`; `audit verify` finds a history cut before the latest checkpoint even
/// with the case's head fixed, a root recomputed without the key (keyed or marked unkeyed), a
/// published line removed, a checkpoint rewritten or deleted.
async fn checkpoints_are_keyed_and_published(app: TestApp) {
    let intake = app.login("intake").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 5), "13912345678")).await;
    app.act(&intake, &case, json!({"action": "note", "text": "记录"})).await;
    for days in [2, 3] {
        app.set_now(&(chrono::Utc::now() + chrono::Duration::days(days)).to_rfc3339());
        jobs::run_once(&app.app, None).await;
        jobs::run_once(&app.app, None).await;
    }
    let days = app.sql_texts("SELECT day || ' ' || root FROM audit_checkpoints ORDER BY day").await;
    assert_eq!(days.len(), 2, "one checkpoint a day, however often the pass runs: {days:?}");
    let (day1, root1) = days[0].split_once(' ').unwrap();
    let (day2, _) = days[1].split_once(' ').unwrap();
    let log = app.data_dir.join("audit-roots.log");
    let published = std::fs::read_to_string(&log).unwrap();
    assert_eq!(published.lines().count(), 2, "{published}");
    assert!(published.lines().next().unwrap().starts_with(&format!("{day1} ")), "{published}");
    assert!(published.contains(&format!(" v2 {root1}\n")), "{published}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&log).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let verify = || {
        let output = app.cli(&["audit", "verify"], None);
        (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned())
    };
    let (code, out) = verify();
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("checked 2 checkpoint(s)") && out.contains("compared 2 published root(s)"), "{out}");
    let again = app.cli(&["audit", "checkpoint"], None);
    assert!(String::from_utf8_lossy(&again.stdout).contains("taken already"));

    // The last published line removed; a checkpoint rewritten.
    std::fs::write(&log, published.lines().next().unwrap().to_owned() + "\n").unwrap();
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("BROKEN checkpoint {day2} is not in audit-roots.log")), "{out}");
    std::fs::write(&log, &published).unwrap();
    app.sql(&format!("UPDATE audit_checkpoints SET cases = 7, cutoff = cutoff - 1 WHERE day = '{day1}'")).await;
    let (_, out) = verify();
    assert!(out.contains(&format!("BROKEN checkpoint {day1} differs from the root published")), "{out}");
    app.sql(&format!("UPDATE audit_checkpoints SET cases = 1, cutoff = cutoff + 1 WHERE day = '{day1}'")).await;
    assert_eq!(verify().0, Some(0));

    // A history cut before the latest checkpoint, its head fixed to match. (In office hours the
    // scheduler's passes have issued notices too: everything after the registration goes.)
    app.sql("DELETE FROM case_events WHERE case_id = 1 AND seq > 1").await;
    let head = app.sql_texts("SELECT hash FROM case_events WHERE case_id = 1 AND seq = 1").await.remove(0);
    app.sql(&format!("UPDATE cases SET event_seq = 1, event_hash = '{head}' WHERE id = 1")).await;
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains(&format!("BROKEN checkpoint {day2} does not match")), "{out}");

    // The root recomputed as roots were before they were keyed: as a keyed root it does not
    // match; marked unkeyed, it is named even without the published file.
    let mut unkeyed = domain::history::CheckpointRoot::new(root1);
    unkeyed.add(1, 1, &head);
    let unkeyed = unkeyed.finish();
    app.sql(&format!("UPDATE audit_checkpoints SET root = '{unkeyed}' WHERE day = '{day2}'")).await;
    let (_, out) = verify();
    assert!(out.contains(&format!("BROKEN checkpoint {day2} does not match")), "{out}");
    app.sql(&format!("UPDATE audit_checkpoints SET version = 1 WHERE day = '{day2}'")).await;
    std::fs::remove_file(&log).unwrap();
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    assert!(!out.contains("does not match"), "the unkeyed root matches the cut history: {out}");
    assert!(
        out.contains(&format!("BROKEN checkpoint {day2} is unkeyed although taken after roots were keyed")),
        "{out}"
    );

    // The checkpoints deleted: the published roots still name them.
    std::fs::write(&log, &published).unwrap();
    app.sql("DELETE FROM audit_checkpoints").await;
    let (code, out) = verify();
    assert_eq!(code, Some(1), "{out}");
    for day in [day1, day2] {
        assert!(out.contains(&format!("BROKEN checkpoint {day} is published in audit-roots.log but not in the table")));
    }
}

/// A checkpoint taken before roots were keyed (its root the plain SHA-256, `version` 1, cut off
/// before the upgrade, with no published line) verifies as it was taken, and the keyed ones
/// after it chain on from it.
async fn checkpoints_taken_before_roots_were_keyed_verify_as_taken(app: TestApp) {
    let intake = app.login("intake").await;
    let case = app.register(&intake, registration(&id_number("620102", "19800101", 9), "13912345678")).await;
    app.act(&intake, &case, json!({"action": "note", "text": "记录"})).await;
    app.set_now(&(chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339());
    jobs::run_once(&app.app, None).await;
    let head = app.sql_texts("SELECT hash FROM case_events WHERE case_id = 1 AND seq = 2").await.remove(0);
    let mut unkeyed = domain::history::CheckpointRoot::new(domain::history::GENESIS);
    unkeyed.add(1, 2, &head);
    let unkeyed = unkeyed.finish();
    app.sql(&format!(
        "UPDATE audit_checkpoints SET root = '{unkeyed}', version = 1;
         UPDATE fengqiao_migrations SET applied_at = (SELECT cutoff + 1 FROM audit_checkpoints) WHERE version = 12"
    ))
    .await;
    std::fs::remove_file(app.data_dir.join("audit-roots.log")).unwrap();
    let taken = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&taken.stdout);
    assert!(taken.status.success() && out.contains("checked 1 checkpoint(s)"), "{out}");

    app.set_now(&(chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339());
    jobs::run_once(&app.app, None).await;
    let versions = app.sql_texts("SELECT CAST(version AS TEXT) FROM audit_checkpoints ORDER BY day").await;
    assert_eq!(versions, ["1", "2"]);
    let keyed = app.cli(&["audit", "verify"], None);
    let out = String::from_utf8_lossy(&keyed.stdout);
    assert!(keyed.status.success() && out.contains("compared 1 published root(s)"), "{out}");
}
