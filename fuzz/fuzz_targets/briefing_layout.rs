#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = mandate_fuzz::run("briefing_layout", data) {
        panic!("briefing_layout: {e}");
    }
});
