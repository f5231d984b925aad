//! Development chores, so that a developer and CI never disagree:
//! `cargo xtask test` checks the crate boundaries and runs every test (the README's test command);
//! `cargo xtask boundaries` checks only the boundaries (from `cargo metadata`);
//! `cargo xtask schemathesis` runs only the API fuzzing against the demo;
//! `cargo xtask open311` runs only the Open311 client (`georeport`) against the demo;
//! `cargo xtask ci` runs the format and lint checks first, then every test.

// A developer tool: it reads CI's environment (CI, FENGQIAO_TEST_POSTGRES) itself.
#![allow(clippy::disallowed_methods)]

use std::net::{TcpStream, ToSocketAddrs};
use std::process::{Command, ExitCode};
use std::time::Duration;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432";

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "ci" => ci(),
        "boundaries" => boundaries(),
        "schemathesis" => schemathesis(),
        "open311" => open311(),
        _ => Err("usage: cargo xtask <test|ci|boundaries|schemathesis|open311>".to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn ci() -> Result<(), String> {
    run("cargo", &["fmt", "--all", "--", "--check"])?;
    run("cargo", &["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    test()
}

/// Every test: unit, property and integration tests on SQLite and on the PostgreSQL server —
/// among them the fault tests (kill -9 under load, a full disk, PostgreSQL restarting), one at a
/// time by `.config/nextest.toml` —, the bench smoke run, schemathesis, the Open311 client and
/// the browser tests.
fn test() -> Result<(), String> {
    boundaries()?;
    ensure_system_packages()?;
    let postgres = std::env::var("FENGQIAO_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    if postgres_reachable(&postgres) {
        drop_leftover_test_databases(&postgres);
    } else {
        let message = format!("PostgreSQL is NOT reachable at {postgres}: the PostgreSQL half of the suite cannot run");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            return Err(format!("{message} (CI=true makes this a failure)"));
        }
        eprintln!("\n{}\n!!! {message} !!!\n{}\n", "!".repeat(80), "!".repeat(80));
    }
    if has_nextest() {
        run("cargo", &["nextest", "run", "--workspace", "--no-fail-fast"])?;
        // nextest does not run doctests.
        run("cargo", &["test", "--workspace", "--doc"])?;
    } else {
        eprintln!("xtask: cargo-nextest not found, using cargo test");
        run("cargo", &["test", "--workspace", "--no-fail-fast"])?;
    }
    bench_smoke()?;
    schemathesis()?;
    open311()?;
    browser_tests()
}

/// Crates a crate must not depend on directly, and why: the layers of ARCHITECTURE.md.
const DIRECT_BOUNDARIES: &[(&str, &[&str], &str)] = &[
    (
        "fengqiao-web",
        &["fengqiao-store", "sqlx", "fengqiao-docs", "fengqiao-search", "fengqiao-fixtures"],
        "web reaches storage, search and documents only through the use cases of app",
    ),
    (
        "fengqiao-store",
        &["axum", "utoipa", "fengqiao-app", "fengqiao-web", "fengqiao-jobs", "fengqiao-fixtures"],
        "the store persists; it knows nothing of HTTP, the API's schemas or the layers above",
    ),
    (
        "fengqiao-app",
        &["axum", "tower-http", "fengqiao-web", "fengqiao-jobs", "fengqiao-fixtures"],
        "use cases know nothing of HTTP, nor of development data",
    ),
    (
        "fengqiao-jobs",
        &["axum", "fengqiao-store", "fengqiao-web", "fengqiao-fixtures"],
        "scheduled work goes through the use cases of app",
    ),
    ("fengqiao-triage", &["fengqiao-store", "sqlx", "tokio"], "triage is pure: rules, classifier, addresses, routes"),
    ("fengqiao-docs", &["fengqiao-store", "sqlx", "tokio", "axum"], "documents are laid out from plain data"),
    (
        "fengqiao-sfu",
        &["axum", "sqlx", "fengqiao-domain", "fengqiao-store", "fengqiao-app", "fengqiao-web", "fengqiao-jobs"],
        "the media server is pure media: it knows nothing of storage, the rules or HTTP",
    ),
    (
        "fengqiao-fixtures",
        &["axum", "tower-http", "fengqiao-web", "fengqiao-jobs"],
        "fixtures are data for development and bench, written below HTTP and the scheduler",
    ),
];

/// Crates the pure domain must not reach even indirectly: it does no I/O and runs on no runtime.
const DOMAIN_FORBIDS: &[&str] = &["tokio", "sqlx", "axum", "hyper", "reqwest", "mio", "async-std"];

/// Checks the dependency directions from `cargo metadata`, so that a layer cannot be crossed
/// by adding one line to a Cargo.toml.
fn boundaries() -> Result<(), String> {
    // The host's platform only: other platforms' crates are neither built nor fetched.
    let rustc = Command::new("rustc").arg("-vV").output().map_err(|e| format!("cannot run rustc: {e}"))?;
    let rustc = String::from_utf8_lossy(&rustc.stdout).into_owned();
    let host = rustc.lines().find_map(|l| l.strip_prefix("host: ")).ok_or("rustc -vV names no host")?;
    let output = Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--quiet", "--filter-platform", host])
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    let mut broken = Vec::new();
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    for (crate_name, forbidden, why) in DIRECT_BOUNDARIES {
        let package = packages
            .iter()
            .find(|p| p["name"] == *crate_name)
            .ok_or_else(|| format!("boundaries: no crate {crate_name} in the workspace"))?;
        for dependency in package["dependencies"].as_array().into_iter().flatten() {
            let (name, kind) = (dependency["name"].as_str().unwrap_or_default(), &dependency["kind"]);
            if kind.is_null() && forbidden.contains(&name) {
                broken.push(format!("{crate_name} depends on {name}: {why}"));
            }
        }
    }
    // The domain, transitively over normal dependencies.
    let id_of =
        |name: &str| packages.iter().find(|p| p["name"] == name).and_then(|p| p["id"].as_str()).map(str::to_owned);
    let nodes = metadata["resolve"]["nodes"].as_array().cloned().unwrap_or_default();
    let name_of =
        |id: &str| packages.iter().find(|p| p["id"] == id).and_then(|p| p["name"].as_str()).unwrap_or(id).to_owned();
    let mut stack = vec![id_of("fengqiao-domain").ok_or("boundaries: no crate fengqiao-domain")?];
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let name = name_of(&id);
        if DOMAIN_FORBIDS.contains(&name.as_str()) {
            broken.push(format!("fengqiao-domain reaches {name}: the domain does no I/O and runs on no async runtime"));
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str());
        for dep in node.and_then(|n| n["deps"].as_array()).into_iter().flatten() {
            let normal = dep["dep_kinds"].as_array().into_iter().flatten().any(|k| k["kind"].is_null());
            if let (true, Some(pkg)) = (normal, dep["pkg"].as_str()) {
                stack.push(pkg.to_owned());
            }
        }
    }
    if broken.is_empty() {
        eprintln!("xtask: crate boundaries hold");
        Ok(())
    } else {
        Err(format!("crate boundaries broken:\n  {}", broken.join("\n  ")))
    }
}

/// Debian packages the tests need beyond the Rust toolchain: Chromium for the browser tests,
/// a CJK font for the agreement PDFs and screenshots, pdftotext to read a PDF back.
const SYSTEM_PACKAGES: &[(&str, &str)] = &[
    ("/usr/bin/chromium", "chromium"),
    ("/usr/bin/chromedriver", "chromium-driver"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "fonts-noto-cjk"),
    ("/usr/bin/pdftotext", "poppler-utils"),
];

/// Installs the missing system packages with apt (the CI machine runs as root).
fn ensure_system_packages() -> Result<(), String> {
    let missing: Vec<&str> = SYSTEM_PACKAGES
        .iter()
        .filter(|(path, _)| !std::path::Path::new(path).exists())
        .map(|(_, package)| *package)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("xtask: installing {}", missing.join(" "));
    run("apt-get", &["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(missing);
    run("apt-get", &args)
}

/// Schemathesis (PyPI, pinned) against the demo served by the debug binary, as two roles:
/// no 5xx, no undocumented status, no response outside its schema (`xtask/schemathesis.py`).
fn schemathesis() -> Result<(), String> {
    python_against_demo("schemathesis", "schemathesis==4.32.5", "schemathesis.py", &["admin", "mediator"])
}

/// The Open311 GeoReport v2 endpoints driven by an outside client, `georeport` (PyPI, pinned),
/// in JSON and XML against the demo (`xtask/open311.py`).
fn open311() -> Result<(), String> {
    python_against_demo("open311", "georeport==0.3.1", "open311.py", &[])
}

/// Runs `xtask/{script} BASE ARGS…` in a virtual environment with `package` installed against
/// the demo served by the debug binary on a fresh SQLite database.
fn python_against_demo(name: &str, package: &str, script: &str, args: &[&str]) -> Result<(), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("xtask has no parent directory")?;
    let target = root.join("target");
    let venv = target.join(format!("{name}-venv"));
    let python = venv.join("bin/python3");
    if !python.exists() {
        run("python3", &["-m", "venv", &venv.display().to_string()])?;
    }
    let python = python.display().to_string();
    run(&python, &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", package])?;
    run("cargo", &["build", "--quiet", "-p", "fengqiao"])?;
    let dir = std::env::temp_dir().join(format!("fengqiao-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port =
        std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let mut server = Command::new(target.join("debug/fengqiao"))
        .args(["--db", &format!("sqlite://{}/demo.db", dir.display()), "--data-dir", &dir.display().to_string()])
        .args(["--listen", &format!("127.0.0.1:{port}"), "demo"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the demo: {e}"))?;
    let base = format!("http://127.0.0.1:{port}");
    let ready = (0..120).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(500));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let result = if ready {
        // In the scratch directory: schemathesis keeps its own files where it runs.
        let status =
            Command::new(&python).arg(root.join("xtask").join(script)).arg(&base).args(args).current_dir(&dir).status();
        match status {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(format!("{name} found faults ({status})")),
            Err(e) => Err(format!("cannot run {name}: {e}")),
        }
    } else {
        Err("the demo did not start listening within a minute".into())
    };
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// The browser tests (`e2e/`): the UI driven in Debian's headless Chromium against the debug
/// binary serving the demo data; screenshots land in `target/screenshots`.
fn browser_tests() -> Result<(), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("xtask has no parent directory")?;
    run("cargo", &["build", "--quiet", "-p", "fengqiao"])?;
    let e2e = root.join("e2e");
    // Each test file writes its pages' load times here; a run starts from none.
    let timings = root.join("target/page-timings");
    let _ = std::fs::remove_dir_all(&timings);
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&e2e)
        .status()
        .map_err(|e| format!("cannot run npm: {e}"))?;
    if !status.success() {
        return Err("npm ci in e2e/ failed".into());
    }
    let status = Command::new("node")
        .args(["--test", "--test-concurrency=1"])
        .current_dir(&e2e)
        .env("FENGQIAO_BIN", root.join("target/debug/fengqiao"))
        .status()
        .map_err(|e| format!("cannot run node: {e}"))?;
    page_timings_summary(&timings);
    if !status.success() {
        return Err("the browser tests failed".into());
    }
    eprintln!("xtask: browser tests passed; screenshots in target/screenshots");
    Ok(())
}

/// The slowest pages of every browser test file against the 300 ms budget (issue 13): a figure
/// reported, not a test — page times on a shared machine are too noisy to fail on.
fn page_timings_summary(dir: &std::path::Path) {
    let mut pages: Vec<(u64, String)> = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
        let Ok(report) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        let file = report["file"].as_str().unwrap_or_default().to_owned();
        for page in report["pages"].as_array().into_iter().flatten() {
            let ms = page["max_ms"].as_u64().unwrap_or_default();
            let (median, server) = (&page["median_ms"], &page["median_server_ms"]);
            let name = page["page"].as_str().unwrap_or_default();
            pages.push((ms, format!("{name} ({file}; median {median} ms, of which the server {server} ms)")));
        }
    }
    pages.sort_by_key(|(ms, _)| std::cmp::Reverse(*ms));
    let over = pages.iter().filter(|(ms, _)| *ms > 300).count();
    eprintln!(
        "xtask: page load times in {} — {over} of {} pages over 300 ms at worst; slowest:",
        dir.display(),
        pages.len()
    );
    for (ms, page) in pages.iter().take(10) {
        eprintln!("  {ms:>5} ms  {page}");
    }
}

/// `fengqiao bench --cases 20000` on a fresh SQLite database, and a check that the report has
/// every figure BENCHMARKS.md explains.
fn bench_smoke() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("fengqiao-bench-smoke-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = format!("sqlite://{}/bench.db", dir.display());
    let report = dir.join("report.json");
    let (data_dir, report_path) = (dir.display().to_string(), report.display().to_string());
    run(
        "cargo",
        &[
            "run",
            "--quiet",
            "-p",
            "fengqiao",
            "--",
            "--db",
            &db,
            "--data-dir",
            &data_dir,
            "bench",
            "--cases",
            "20000",
            "--report",
            &report_path,
        ],
    )?;
    let text = std::fs::read_to_string(&report).map_err(|e| format!("no bench report: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("the bench report is not JSON: {e}"))?;
    let required = [
        ("intake", "per_s"),
        ("intake", "limit_per_s"),
        ("read", "p50_ms"),
        ("read", "p99_ms"),
        ("list", "p50_ms"),
        ("list", "p99_ms"),
        ("search", "p50_ms"),
        ("search", "p95_ms"),
        ("stats", "ms"),
        ("sweep", "open_cases"),
        ("sweep", "ms"),
        ("nightly", "ms"),
        ("registration_risk", "ratio"),
        ("nodes", "intake_one_per_s"),
        ("nodes", "intake_two_per_s"),
        ("nodes", "server_rss_mb"),
    ];
    for (section, key) in required {
        if !json[section][key].is_number() {
            return Err(format!("the bench report lacks {section}.{key}"));
        }
    }
    if !json["rss_mb"].is_number() {
        return Err("the bench report lacks rss_mb".into());
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("xtask: bench smoke report complete");
    Ok(())
}

fn has_nextest() -> bool {
    Command::new("cargo").args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success())
}

/// Host and port of a postgres:// URL, answered by a TCP connection.
fn postgres_reachable(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or_default();
    let host_port = rest.rsplit('@').next().unwrap_or_default().split('/').next().unwrap_or_default();
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok())
}

/// Each integration test creates its own database; earlier runs' are dropped here (best effort:
/// needs `psql`).
fn drop_leftover_test_databases(url: &str) {
    let admin = format!("{url}/postgres");
    let Ok(out) = Command::new("psql")
        .args([&admin, "-Atc", "SELECT datname FROM pg_database WHERE datname LIKE 'fq_test_%'"])
        .output()
    else {
        return;
    };
    for name in String::from_utf8_lossy(&out.stdout).lines().filter(|l| !l.is_empty()) {
        let _ = Command::new("psql").args([&admin, "-qc", &format!("DROP DATABASE IF EXISTS {name}")]).output();
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program).args(args).status().map_err(|e| format!("cannot run {program}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{program} {} failed ({status})", args.join(" "))) }
}
