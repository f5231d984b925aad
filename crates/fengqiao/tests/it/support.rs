//! The test harness: every test starts the real server on port 0 against a fresh database —
//! a new SQLite file, or a new database on the PostgreSQL server — with the demo organisation
//! and users loaded.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use store::{Crypto, Db, Store, StoreOptions};

/// The PostgreSQL server the suite runs against.
pub fn postgres_url() -> String {
    std::env::var("FENGQIAO_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub data_dir: PathBuf,
    pub store: Store,
    /// The application the server runs: for the scheduler's passes (`jobs::run_once`).
    pub app: app::App,
    pub client: reqwest::Client,
    pub backend: Backend,
    /// The server's clock in milliseconds; 0 follows the system clock.
    pub clock_ms: Arc<AtomicI64>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Starts the app on a fresh database, or returns `None` (loudly) when PostgreSQL is not
/// reachable outside CI. Under `CI=true` an unreachable server fails the test.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_on(backend, &std::env::temp_dir(), &postgres_url()).await
}

/// `spawn_app` with the data directory (and the SQLite database) under `root` and the
/// PostgreSQL server at `postgres` (`postgres://user@host:port`).
pub async fn spawn_app_on(backend: Backend, root: &std::path::Path, postgres: &str) -> Option<TestApp> {
    let _ = tracing_subscriber::fmt().with_env_filter("warn,fengqiao=info").with_test_writer().try_init();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let name = format!("fq_test_{}_{}_{}", std::process::id(), n, chrono::Utc::now().timestamp_micros() % 1_000_000);
    let data_dir = root.join(&name);
    std::fs::create_dir_all(&data_dir).unwrap();
    let db_url = match backend {
        Backend::Sqlite => format!("sqlite://{}/fengqiao.db", data_dir.display()),
        Backend::Postgres => {
            let admin = format!("{postgres}/postgres");
            let pool = match sqlx::PgPool::connect(&admin).await {
                Ok(pool) => pool,
                Err(e) => {
                    let message =
                        format!("PostgreSQL is not reachable at {admin}: {e}. The PostgreSQL suite did NOT run.");
                    if std::env::var("CI").is_ok_and(|v| v == "true") {
                        panic!("{message} Under CI=true this is a failure.");
                    }
                    eprintln!("\n!!!!!!!! {message} !!!!!!!!\n");
                    return None;
                }
            };
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
            pool.close().await;
            format!("{postgres}/{name}")
        }
    };
    let crypto = Crypto::load_or_create(&data_dir, None).unwrap();
    let store = Store::connect(&db_url, crypto, StoreOptions::default()).await.unwrap();
    store.migrate(chrono::Utc::now()).await.unwrap();
    fixtures::demo::load_organisation(&store, chrono::Utc::now()).await.unwrap();
    let clock_ms = Arc::new(AtomicI64::new(0));
    let clock = {
        let clock_ms = clock_ms.clone();
        Arc::new(move || match clock_ms.load(Ordering::SeqCst) {
            0 => chrono::Utc::now(),
            ms => chrono::DateTime::from_timestamp_millis(ms).unwrap(),
        })
    };
    let search = Arc::new(search::SearchIndex::open(&data_dir.join("search")).unwrap());
    let app = app::App::new(store.clone(), clock, &format!("test-{n}"), search, &data_dir);
    let state = web::AppState::new(app.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, web::service(state)).await.unwrap() });
    Some(TestApp { base, db_url, data_dir, store, app, client: reqwest::Client::new(), backend, clock_ms })
}

/// Runs one test body on SQLite and on PostgreSQL, as two tests.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let app = $crate::support::spawn_app($crate::support::Backend::Sqlite).await.expect("SQLite always runs");
                super::$name(app).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if let Some(app) = $crate::support::spawn_app($crate::support::Backend::Postgres).await {
                    super::$name(app).await;
                }
            })*
        }
    };
}

impl TestApp {
    /// Sets the server's clock (RFC 3339); the server never sleeps, time only moves here.
    pub fn set_now(&self, at: &str) {
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
        self.clock_ms.store(at.timestamp_millis(), Ordering::SeqCst);
    }

    /// Another `fengqiao serve` process on the same database (its own data directory for the
    /// search index, the same master key). Returns its base URL and the process, killed on drop.
    pub fn serve_process(&self) -> (String, ServeProcess) {
        self.serve_process_in(&self.data_dir.join("node-2"))
    }

    /// A `fengqiao serve` process on the same database with `dir` as its data directory (files,
    /// search index) and the same master key; started again on the same `dir`, it finds what
    /// the last one left. Returns its base URL and the process, killed on drop.
    pub fn serve_process_in(&self, dir: &std::path::Path) -> (String, ServeProcess) {
        self.serve_process_with(dir, &[])
    }

    /// `serve_process_in` with more options before `serve` (e.g. `--training`).
    pub fn serve_process_with(&self, dir: &std::path::Path, options: &[&str]) -> (String, ServeProcess) {
        use std::io::{BufRead, Read};
        let key = std::fs::read_to_string(self.data_dir.join("keys/master.key")).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fengqiao"))
            .args(["--db", &self.db_url, "--listen", "127.0.0.1:0", "--master-key", key.trim(), "--data-dir"])
            .arg(dir)
            .args(options)
            .arg("serve")
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(std::sync::Mutex::new(String::new()));
        let mut stderr = child.stderr.take().unwrap();
        let collected = log.clone();
        std::thread::spawn(move || {
            let mut chunk = [0_u8; 4096];
            while let Ok(n @ 1..) = stderr.read(&mut chunk) {
                collected.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("the server printed its address").unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break format!("http://{}", rest.split('/').next().unwrap());
            }
        };
        (base, ServeProcess { child, log })
    }

    /// A second connection pool on the same database: another node.
    pub async fn second_node(&self) -> Store {
        let crypto = Crypto::load_or_create(&self.data_dir, None).unwrap();
        Store::connect(&self.db_url, crypto, StoreOptions::default()).await.unwrap()
    }

    pub async fn login(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": "fengqiao-demo"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// One request; returns the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        send(request, body).await
    }

    /// One request of another system, with its API key in `X-Api-Key`.
    pub async fn keyed(&self, method: Method, path: &str, key: &str, body: Option<Value>) -> (StatusCode, Value) {
        send(self.client.request(method, format!("{}{path}", self.base)).header("X-Api-Key", key), body).await
    }

    /// Registers a case with a system account's key and insists on 201.
    pub async fn register_keyed(&self, key: &str) -> Value {
        let body = registration(&id_number("620102", "19850101", 1), "13912340001");
        let (status, case) = self.keyed(Method::POST, "/api/v1/cases", key, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        case
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Registers a case and insists on 201.
    pub async fn register(&self, token: &str, body: Value) -> Value {
        let (status, case) = self.post("/api/v1/cases", token, body).await;
        assert_eq!(status, StatusCode::CREATED, "{case}");
        case
    }

    /// A workflow step on the case's current version.
    pub async fn act(&self, token: &str, case: &Value, mut step: Value) -> (StatusCode, Value) {
        step["version"] = case["version"].clone();
        self.post(&format!("/api/v1/cases/{}/actions", case["id"]), token, step).await
    }

    pub async fn unit_id(&self, name: &str) -> i64 {
        let units = self.store.units().await.unwrap();
        units.iter().find(|u| u.name == name).unwrap_or_else(|| panic!("no unit {name}")).id
    }

    /// Raw SQL against the test database, for tampering and for looking behind the API.
    pub async fn sql(&self, sql: &str) {
        match self.store.db() {
            Db::Sqlite(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(pool).await.map(|_| ()),
            Db::Postgres(pool) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(pool).await.map(|_| ()),
        }
        .unwrap();
    }

    /// The first column of a raw query, as text: what lies in the database behind the API.
    pub async fn sql_texts(&self, sql: &str) -> Vec<String> {
        let sql = || sqlx::AssertSqlSafe(sql.to_owned());
        match self.store.db() {
            Db::Sqlite(pool) => sqlx::query_scalar(sql()).fetch_all(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(sql()).fetch_all(pool).await,
        }
        .unwrap()
    }

    /// Runs the real binary against this app's database.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> std::process::Output {
        use std::io::Write;
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_fengqiao"));
        command.arg("--db").arg(&self.db_url).arg("--data-dir").arg(&self.data_dir).args(args);
        command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().unwrap();
        if let Some(input) = stdin {
            child.stdin.as_mut().unwrap().write_all(input.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }
}

/// A child `fengqiao serve` process, stopped when dropped (`SIGKILL`, as `kill -9`).
pub struct ServeProcess {
    child: std::process::Child,
    /// What it has logged so far (standard error).
    log: Arc<std::sync::Mutex<String>>,
}

impl ServeProcess {
    /// What the server has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A valid ID number (GB 11643) for a birth date and sequence.
pub fn id_number(area: &str, birth: &str, seq: u32) -> String {
    let body = format!("{area}{birth}{seq:03}");
    format!("{body}{}", domain::identity::id_check_character(&body))
}

/// A client that shows redirects instead of following them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// A page of the UI with these cookies (`fq_session=…; fq_lang=en`): its status and HTML.
pub async fn ui_get(app: &TestApp, cookies: &str, path: &str) -> (StatusCode, String) {
    let response = browser().get(format!("{}{path}", app.base)).header("cookie", cookies).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// Signs in to the UI: the session cookie's value.
pub async fn ui_session(app: &TestApp, username: &str) -> String {
    ui_session_with(app, username, "fengqiao-demo").await
}

/// Signs in to the UI with a password: the session cookie's value.
pub async fn ui_session_with(app: &TestApp, username: &str, password: &str) -> String {
    let response = ui_login(app, username, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{username} signs in to the UI");
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.strip_prefix("fq_session=")?.split(';').next().map(str::to_owned))
        .next()
        .expect("a session cookie")
}

/// The UI's sign-in form, posted: the response as it is.
pub async fn ui_login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/login", app.base))
        .header("cookie", "fq_login=t0k3n")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(encode(&[("username", username), ("password", password), ("_csrf", "t0k3n"), ("next", "/workbench")]))
        .send()
        .await
        .unwrap()
}

/// Percent-encodes a form's fields.
pub fn encode(fields: &[(&str, &str)]) -> String {
    let part = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    fields.iter().map(|(k, v)| format!("{}={}", part(k), part(v))).collect::<Vec<_>>().join("&")
}

/// Submits a form of the UI as a signed-in user, with the CSRF token of the page at `from`.
pub async fn ui_submit(
    app: &TestApp,
    session: &str,
    from: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let cookies = format!("fq_session={session}");
    let (_, page) = ui_get(app, &cookies, from).await;
    let csrf = page.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("a form");
    let mut fields = vec![("_csrf", csrf)];
    fields.extend_from_slice(form);
    browser().post(format!("{}{path}", app.base)).header("cookie", cookies).form(&fields).send().await.unwrap()
}

/// Posts a form of the UI as [`ui_submit`] does: the status and the kind of flash message the
/// answer carries (`ok` or `error`).
pub async fn ui_post(
    app: &TestApp,
    session: &str,
    from: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = ui_submit(app, session, from, path, form).await;
    let flash = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|c| c.to_str().ok()?.strip_prefix("fq_flash=")?.split("%7C").next().map(str::to_owned))
        .next()
        .unwrap_or_default();
    (response.status(), flash)
}

/// An answer of the UI as a test reads it: the status, where it redirects and the page.
pub async fn ui_answer(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, location, response.text().await.unwrap())
}

/// A complete, valid registration in Zhangye Road street (street A1, district A).
/// A workbook as a sending system fills it: the header row, then each row's cells (a blank
/// one left empty).
pub fn workbook<const N: usize>(header: &[&str; N], rows: &[[&str; N]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (column, name) in header.iter().enumerate() {
        sheet.write_string(0, column as u16, *name).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (column, value) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
            sheet.write_string(r as u32 + 1, column as u16, *value).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

pub fn registration(id_number: &str, phone: &str) -> Value {
    json!({
        "channel": "window",
        "description": "申请人在某建筑公司工地务工，被拖欠工资三个月共计22800元，多次讨要未果。",
        "title": "工地欠薪",
        "amount": "22800.00",
        "people_count": 1,
        "occurred_at": "2026-09-01T09:00:00+08:00",
        "location": {"address": "兰州市城关区张掖路街道中山林社区5号", "region_code": "620102002001"},
        "parties": [
            {"role": "applicant", "kind": "person", "name": "李四", "id_number": id_number, "phone": phone, "address": "兰州市城关区张掖路123号"},
            {"role": "respondent", "kind": "organization", "name": "甘肃某建筑工程有限公司", "credit_code": "91350200776049653A"}
        ]
    })
}

/// The city's summary over the last 400 days through the API, checked against a recount from
/// the cases themselves (the rollups hold): the summary.
pub async fn summary_equal_to_recount(app: &TestApp, city: &str, now: chrono::DateTime<chrono::Utc>) -> Value {
    let today = now.with_timezone(&domain::china_time()).date_naive();
    let from = today - chrono::Duration::days(400);
    let (_, summary) = app.get(&format!("/api/v1/stats/summary?region=620100&from={from}&to={today}"), city).await;
    let recount =
        app.store.stats_recount(&domain::org::RegionCode::parse("620100").unwrap(), from, today).await.unwrap();
    assert_eq!(summary, serde_json::to_value(&recount).unwrap());
    summary
}

/// Sends `request` with `body` as JSON; returns the status and the JSON answer (Null when empty).
async fn send(mut request: reqwest::RequestBuilder, body: Option<Value>) -> (StatusCode, Value) {
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The text of a PDF, as `pdftotext` (poppler-utils) reads it.
pub fn pdf_text(app: &TestApp, pdf: &[u8]) -> String {
    let file = app.data_dir.join(format!("read-{}.pdf", COUNTER.fetch_add(1, Ordering::SeqCst)));
    std::fs::write(&file, pdf).unwrap();
    let text = std::process::Command::new("pdftotext").arg(&file).arg("-").output().expect("pdftotext (poppler-utils)");
    String::from_utf8(text.stdout).unwrap()
}
