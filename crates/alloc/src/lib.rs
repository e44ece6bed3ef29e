//! One allocator, mimalloc, for Rust and for SQLite in every Mandate binary.
//!
//! Each binary declares `#[global_allocator] static A: mandate_alloc::MiMalloc = mandate_alloc::MiMalloc;`
//! and whatever opens SQLite calls [`use_mimalloc`] before its first connection (the store and
//! the server do).
//!
//! Why: a first sync of 100k changes spent about a fifth of its time in glibc's malloc and free
//! (consolidating and unlinking free chunks), most of it SQLite's page and cell buffers and the
//! record text passing between Rust and SQLite. With mimalloc for both, the same sync and the
//! bulk loads run 15–25 % faster (BENCHMARKS.md) at the same peak memory.
//!
//! SQLite takes an allocator only before it initialises, so [`use_mimalloc`] runs before the
//! first connection. If something else in the process initialised SQLite
//! first, SQLite refuses the setting and keeps its own allocator — slower, never wrong. But the
//! setting is not thread-safe: a connection initialising SQLite on another thread *while* it is
//! made ends up freeing memory with the wrong allocator (a SIGSEGV in `sqlite3_initialize`).
//! Hence the invariant: every connection to SQLite in a Mandate process, tests included, is
//! made after [`use_mimalloc`] has returned.

pub use mimalloc::MiMalloc;

use libmimalloc_sys as mi;
use libsqlite3_sys as ffi;
use std::ffi::{c_char, c_int, c_void};

extern "C" {
    /// OpenSSL (SQLCipher's cipher, linked through libsqlite3-sys): takes an allocator only
    /// before its first allocation; returns 0 otherwise.
    fn CRYPTO_set_mem_functions(
        m: unsafe extern "C" fn(usize, *const c_char, c_int) -> *mut c_void,
        r: unsafe extern "C" fn(*mut c_void, usize, *const c_char, c_int) -> *mut c_void,
        f: unsafe extern "C" fn(*mut c_void, *const c_char, c_int),
    ) -> c_int;
}

unsafe extern "C" fn crypto_malloc(n: usize, _: *const c_char, _: c_int) -> *mut c_void {
    mi::mi_malloc(n)
}
unsafe extern "C" fn crypto_realloc(p: *mut c_void, n: usize, _: *const c_char, _: c_int) -> *mut c_void {
    mi::mi_realloc(p, n)
}
unsafe extern "C" fn crypto_free(p: *mut c_void, _: *const c_char, _: c_int) {
    mi::mi_free(p)
}

/// mimalloc's `mi_option_purge_delay` (v2 numbering).
const MI_OPTION_PURGE_DELAY: mi::mi_option_t = 15;

/// Purge delay (ms) while a [`Burst`] runs: longer than any pause between a sync's or an
/// import's batches, short enough that the memory goes back soon after the work ends.
const BURST_PURGE_DELAY_MS: std::ffi::c_long = 10_000;

/// How many bursts are running, and (while any is) the purge delay to go back to.
static BURSTS: std::sync::Mutex<(usize, std::ffi::c_long)> = std::sync::Mutex::new((0, 0));

fn set_purge_delay(ms: std::ffi::c_long) {
    // SAFETY: setting a documented option; mimalloc reads options atomically.
    unsafe { mi::mi_option_set(MI_OPTION_PURGE_DELAY, ms) }
}

/// Give freed memory back to the OS at once instead of a second later, outside bursts. The
/// desktop calls this: its resident size is a target (≤ 150 MB at 100k actions), and its work
/// comes in bursts.
pub fn return_memory_promptly() {
    let mut b = BURSTS.lock().unwrap_or_else(|e| e.into_inner());
    if b.0 == 0 {
        set_purge_delay(0);
    } else {
        b.1 = 0;
    }
}

/// Memory-hungry work that frees and allocates hundreds of megabytes again and again — a sync,
/// a bulk import, the server answering pushes and pulls — holds one of these while it runs.
///
/// Why: freed memory that mimalloc gives back to the OS is zeroed by the kernel when it is
/// touched again (whole 2 MB pages on this kind of VM). A first sync of 100k changes took ~1M
/// such page faults with the desktop's prompt return and 20–21 s of CPU, against 61k–119k faults
/// and 16.5–17.3 s with bursts (paired `perf stat` runs; BENCHMARKS.md). While any burst runs, freed
/// memory is kept for 10 s before it goes back; when the last one ends, the process's own
/// setting is back. The price is peak memory: what one phase of the work freed is still held
/// while the next runs (the sync benchmark's process peaked at 0.80 GB with a 10 s delay
/// against 0.61 GB with 1 s, one run each).
#[must_use = "the burst ends when this is dropped"]
pub struct Burst(());

impl Burst {
    pub fn begin() -> Burst {
        let mut b = BURSTS.lock().unwrap_or_else(|e| e.into_inner());
        b.0 += 1;
        if b.0 == 1 {
            // SAFETY: reading a documented option.
            b.1 = unsafe { mi::mi_option_get(MI_OPTION_PURGE_DELAY) };
            set_purge_delay(BURST_PURGE_DELAY_MS);
        }
        Burst(())
    }
}

impl Drop for Burst {
    fn drop(&mut self) {
        let mut b = BURSTS.lock().unwrap_or_else(|e| e.into_inner());
        b.0 -= 1;
        if b.0 == 0 {
            set_purge_delay(b.1);
        }
    }
}

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    mi::mi_malloc(n.max(0) as usize)
}
unsafe extern "C" fn x_free(p: *mut c_void) {
    mi::mi_free(p)
}
unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    mi::mi_realloc(p, n.max(0) as usize)
}
unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    mi::mi_usable_size(p).min(c_int::MAX as usize) as c_int
}
unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    mi::mi_good_size(n.max(0) as usize).min(c_int::MAX as usize) as c_int
}
unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}
unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Point SQLite and OpenSSL at mimalloc (once, before the first connection and before anything
/// initialises OpenSSL). Returns whether SQLite took it. OpenSSL matters as much: SQLCipher
/// allocates cipher and HMAC contexts for every page it encrypts or decrypts.
pub fn use_mimalloc() -> bool {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ONCE.get_or_init(|| {
        // SQLite keeps its own copy of these: the struct only has to live through the call.
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(x_malloc),
            xFree: Some(x_free),
            xRealloc: Some(x_realloc),
            xSize: Some(x_size),
            xRoundup: Some(x_roundup),
            xInit: Some(x_init),
            xShutdown: Some(x_shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: three functions with OpenSSL's documented signatures; refused (harmlessly) if
        // OpenSSL has already allocated.
        unsafe { CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) };
        // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to a sqlite3_mem_methods, which SQLite
        // copies; the functions are thread-safe (mimalloc) and match SQLite's contract (xSize of a
        // live allocation, xRoundup never below the request). Before initialisation this is the
        // documented way to replace the allocator; afterwards SQLite returns SQLITE_MISUSE and
        // changes nothing.
        unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods as *const ffi::sqlite3_mem_methods) == ffi::SQLITE_OK }
    })
}

#[cfg(test)]
mod tests {
    use libmimalloc_sys as mi;

    #[test]
    fn bursts_hold_memory_and_the_last_one_restores_the_setting() {
        let delay = || unsafe { mi::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        super::return_memory_promptly();
        assert_eq!(delay(), 0);
        let a = super::Burst::begin();
        assert_eq!(delay(), super::BURST_PURGE_DELAY_MS);
        let b = super::Burst::begin();
        drop(a);
        assert_eq!(delay(), super::BURST_PURGE_DELAY_MS, "another burst is still running");
        drop(b);
        assert_eq!(delay(), 0, "back to the process's own setting");
    }

    #[test]
    fn sizes_are_usable_and_roundup_never_shrinks() {
        // SAFETY: plain allocate / measure / free of one block.
        unsafe {
            let p = super::x_malloc(100);
            assert!(!p.is_null());
            assert!(super::x_size(p) >= 100);
            let p = super::x_realloc(p, 5000);
            assert!(super::x_size(p) >= 5000);
            super::x_free(p);
            assert!(super::x_roundup(100) >= 100);
        }
    }
}
