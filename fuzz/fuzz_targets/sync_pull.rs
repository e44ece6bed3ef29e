#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = mandate_fuzz::run("sync_pull", data) {
        panic!("sync_pull: {e}");
    }
});
