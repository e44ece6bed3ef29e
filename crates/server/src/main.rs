//! `mandate-server`: serve replication, or administer accounts and devices.

use anyhow::Context;
use clap::{Parser, Subcommand};
use mandate_domain::replication::ServerRole;
use mandate_domain::OfficeKind;
use mandate_server::{accounts, http, replicate, tls, Db, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "mandate-server", version, about = "Mandate agency server: desktops replicate their work here")]
struct Cli {
    /// Data directory for the SQLite database (default storage).
    #[arg(long, global = true, default_value = "mandate-server-data")]
    data: PathBuf,
    /// Use PostgreSQL instead, e.g. postgres://mandate@db.example.gov/mandate
    #[arg(long, global = true, env = "MANDATE_SERVER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve(ServeArgs),
    /// Accounts and devices.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// TLS certificate (PEM).
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Make a self-signed certificate for trying the server out (written to DATA/dev-tls-cert.pem
    /// for desktops to trust with `mandate sync connect --ca`).
    #[arg(long, conflicts_with = "tls_cert")]
    dev_tls: bool,
    /// Print the address actually bound (with --listen 127.0.0.1:0) on stdout, for scripts.
    #[arg(long)]
    print_addr: bool,
}

#[derive(Subcommand)]
enum Admin {
    /// Add an office (it replicates to every desktop).
    AddOffice {
        code: String,
        name: String,
        #[arg(long, default_value = "office")]
        kind: OfficeKind,
    },
    /// Add a user with a role: administrator, executive, office_lead, staff, auditor.
    AddUser {
        username: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: ServerRole,
        /// The user's office code (every role but administrator, executive and auditor needs one).
        #[arg(long)]
        office: Option<String>,
    },
    /// Print a one-time enrolment code for a user's new device.
    Enrol {
        username: String,
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 72)]
        hours: i64,
    },
    /// Revoke a device: its token stops working at once.
    RevokeDevice { device_id: String },
    /// List devices.
    Devices,
    /// List users.
    Users,
    /// Check the server's audit chain.
    VerifyAudit,
    /// Write the server's audit log to standard output, a JSON line per entry, oldest first,
    /// for inspectors (each line carries its hash and the previous one: see the README).
    ExportAudit {
        /// Only entries from this date on (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
    },
    /// Write a consistent copy of the SQLite database to a new file while the server keeps
    /// serving (PostgreSQL: use pg_dump).
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Put a backup in place of the SQLite database (stop the server first). Desktops then
    /// send and read everything again on their next sync.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// After restoring a PostgreSQL dump: tell desktops the server went back in time, so that
    /// they send and read everything again on their next sync.
    Restored,
}

async fn open(cli: &Cli) -> anyhow::Result<Db> {
    match &cli.database_url {
        Some(url) => Db::postgres(url).await,
        None => Db::sqlite(&cli.data).await,
    }
}

/// mimalloc for Rust and SQLite alike (see `mandate-alloc`).
#[global_allocator]
static ALLOCATOR: mandate_alloc::MiMalloc = mandate_alloc::MiMalloc;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("mandate-server: {e:#}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Admin(Admin::Restore { from })) = &cli.command {
        if cli.database_url.is_some() {
            anyhow::bail!("`admin restore` puts a SQLite backup in place; restore PostgreSQL with pg_restore, then run `admin restored`");
        }
        mandate_server::backup::restore(&cli.data, from).await?;
        println!(
            "restored {} into {}; desktops will send and read everything again on their next sync",
            from.display(),
            cli.data.display()
        );
        return Ok(());
    }
    // One server per SQLite data directory (and none while a backup is put in place).
    let _lock = match (&cli.database_url, &cli.command) {
        (None, None | Some(Command::Serve(_))) => Some(mandate_server::backup::DataLock::take(&cli.data)?),
        _ => None,
    };
    let db = open(&cli).await?;
    match cli.command {
        None => {
            let args = ServeArgs { listen: "127.0.0.1:8443".parse()?, tls_cert: None, tls_key: None, dev_tls: false, print_addr: false };
            serve(&cli.data, db, args).await
        }
        Some(Command::Serve(args)) => serve(&cli.data, db, args).await,
        Some(Command::Admin(a)) => admin(&db, a).await,
    }
}

async fn serve(data: &std::path::Path, db: Db, args: ServeArgs) -> anyhow::Result<()> {
    let tls = match (&args.tls_cert, &args.tls_key, args.dev_tls) {
        (Some(c), Some(k), _) => Some(tls::from_files(c, k).await?),
        (_, _, true) => {
            std::fs::create_dir_all(data)?;
            let out = data.join("dev-tls-cert.pem");
            let cfg = tls::dev(&out, &[]).await?;
            eprintln!("self-signed certificate for trying this out: {}", out.display());
            Some(cfg)
        }
        _ => None,
    };
    let server = Arc::new(Server::new(db));
    if args.print_addr {
        // Bind first so the printed address is the real one (port 0 picks a free port).
        let listener = std::net::TcpListener::bind(args.listen).context("cannot listen")?;
        let addr = listener.local_addr()?;
        drop(listener);
        println!("{addr}");
        return http::serve(server, addr, tls).await;
    }
    http::serve(server, args.listen, tls).await
}

async fn admin(db: &Db, a: Admin) -> anyhow::Result<()> {
    match a {
        Admin::AddOffice { code, name, kind } => {
            let o = accounts::add_office(db, &code, &name, kind).await?;
            println!("office {} ({}) added", o.code, o.id);
        }
        Admin::AddUser { username, name, role, office } => {
            accounts::add_user(db, &username, &name, role, office.as_deref()).await?;
            println!("user {username} added as {role}");
        }
        Admin::Enrol { username, hours } => {
            let code = accounts::enrolment_code(db, &username, hours).await?;
            println!("{code}");
            eprintln!("one-time enrolment code for {username}, valid {hours} hours: give it to them in person or by phone");
        }
        Admin::RevokeDevice { device_id } => {
            accounts::revoke_device(db, &device_id).await?;
            println!("device {device_id} revoked");
        }
        Admin::Devices => println!("{}", serde_json::to_string_pretty(&accounts::devices(db).await?)?),
        Admin::Users => println!("{}", serde_json::to_string_pretty(&accounts::users(db).await?)?),
        Admin::VerifyAudit => match replicate::verify_audit(db).await? {
            Ok(n) => println!("audit chain intact: {n} entries"),
            Err(e) => anyhow::bail!("audit chain broken: {e}"),
        },
        Admin::ExportAudit { since } => {
            use std::io::Write;
            let since = match since {
                Some(d) => chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                    .map_err(|_| anyhow::anyhow!("--since takes a date, YYYY-MM-DD (got `{d}`)"))?
                    .format("%Y-%m-%d")
                    .to_string(),
                None => String::new(),
            };
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let mut n = 0u64;
            replicate::audit_entries(db, &since, |e| {
                serde_json::to_writer(&mut out, &e)?;
                out.write_all(b"\n")?;
                n += 1;
                Ok(())
            })
            .await?;
            out.flush()?;
            eprintln!("{n} audit entries written");
        }
        Admin::Backup { to } => {
            let bytes = mandate_server::backup::backup(db, &to).await?;
            println!("backed up to {} ({:.1} MB)", to.display(), bytes as f64 / 1e6);
        }
        Admin::Restore { .. } => unreachable!("handled before the database is opened"),
        Admin::Restored => {
            replicate::new_epoch(db).await?;
            println!("new epoch set: desktops will send and read everything again on their next sync");
        }
    }
    Ok(())
}
