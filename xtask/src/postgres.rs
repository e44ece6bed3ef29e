//! A throwaway PostgreSQL server on loopback for the replication tests (`MANDATE_TEST_DATABASE_URL`).
//! Started with the Debian server binaries, as the `postgres` user when we are root (PostgreSQL
//! refuses to run as root), in a temporary folder; stopped when dropped.

use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::process::Command;

pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    pub url: String,
    as_postgres: bool,
}

fn bin_dir() -> Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL server binaries are expected under /usr/lib/postgresql (Debian package `postgresql`)")?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| p.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0));
    dirs.pop().context("no initdb under /usr/lib/postgresql/*/bin")
}

impl Postgres {
    pub fn start() -> Result<Postgres> {
        let bin = bin_dir()?;
        let root = Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
        let dir = std::env::temp_dir().join(format!("mandate-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if root {
            crate::sh(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let pg = Postgres { dir: dir.clone(), bin, url: format!("postgres://mandate@127.0.0.1:{port}/postgres"), as_postgres: root };
        pg.run("initdb", &["-D", &pg.data(), "-U", "mandate", "--auth=trust", "--no-sync", "-E", "UTF8"])?;
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400", dir.display());
        let log = format!("{}/log", dir.display());
        pg.run("pg_ctl", &["-D", &pg.data(), "-l", &log, "-o", &opts, "-w", "start"])?;
        eprintln!("PostgreSQL for the tests: {}", pg.url);
        Ok(pg)
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.display())
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<()> {
        let exe = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&exe);
            c
        } else {
            Command::new(&exe)
        };
        let o = c.args(args).output().with_context(|| format!("running {}", exe.display()))?;
        if !o.status.success() {
            bail!("{tool} failed: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        }
        Ok(())
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.run("pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
