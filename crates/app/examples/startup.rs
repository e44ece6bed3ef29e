//! Times what the desktop does at launch against a workspace (MANDATE_DB, MANDATE_DB_KEY).
use mandate_app::App;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let app = App::new(None);
    let t = Instant::now();
    app.open().await.unwrap();
    println!("open+status {:?}", t.elapsed());
    let t = Instant::now();
    app.status().await.unwrap();
    println!("status {:?}", t.elapsed());
    let t = Instant::now();
    let w = app.my_work().await.unwrap();
    println!(
        "my_work {:?} ({} ack, {} concur, {} ext, {} overdue, {} soon)",
        t.elapsed(),
        w.to_acknowledge.len(),
        w.to_concur.len(),
        w.extensions_to_decide.len(),
        w.overdue.len(),
        w.due_soon.len()
    );
    let t = Instant::now();
    app.my_work().await.unwrap();
    println!("my_work again {:?}", t.elapsed());
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    println!("{}", status.lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")).collect::<Vec<_>>().join("  "));
}
