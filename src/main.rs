fn main() -> std::process::ExitCode {
    rustgate::cli::main()
}
