#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rustgate::fuzzing::pipeline(data));
