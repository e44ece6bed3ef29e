#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = mandate_fuzz::run("federal_register_json", data) {
        panic!("federal_register_json: {e}");
    }
});
