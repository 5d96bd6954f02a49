// mimalloc: measured on the benchmark corpus (bench/RESULTS.md); parsing
// allocates a syntax tree per file and frees it at once, which the system
// allocator handles markedly slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rustgate::cli::main()
}
