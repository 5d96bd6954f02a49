//! `cargo rustgate ...`: Cargo runs `cargo-rustgate rustgate ...` for it. This
//! shim runs the `rustgate` binary installed beside it (else the one on
//! `PATH`) with the same arguments, minus the `rustgate` Cargo adds.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "rustgate") {
        args.remove(0);
    }
    let name = format!("rustgate{}", std::env::consts::EXE_SUFFIX);
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(&name)))
        .filter(|p| p.is_file());
    let program = beside.unwrap_or_else(|| name.into());
    match Command::new(&program).args(&args).status() {
        Ok(status) => match status.code() {
            Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(2)),
            None => ExitCode::from(2),
        },
        Err(e) => {
            eprintln!("cargo-rustgate: cannot run {}: {e}", program.display());
            ExitCode::from(2)
        }
    }
}
