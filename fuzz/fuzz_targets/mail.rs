#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = mandate_fuzz::run("mail", data) {
        panic!("mail: {e}");
    }
});
