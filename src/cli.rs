//! The command line: `rustgate check`, `rustgate rule`, `rustgate rules`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rustgate_rules::{Severity, registry};

use crate::config::Overrides;
use crate::engine::{self, RunOptions};
use crate::output::{self, Format};

/// A static-analysis and quality-gate linter for Rust services.
#[derive(Debug, Parser)]
#[command(name = "rustgate", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a workspace, directory or file and decide the gate.
    Check(CheckArgs),
    /// Record today's findings in a baseline file, so that `check --baseline`
    /// reports and gates only new ones.
    Baseline(BaselineArgs),
    /// Print one rule's documentation.
    Rule {
        /// A code (`RG101`) or name (`unsafe-in-business-logic`).
        rule: String,
    },
    /// List every rule.
    Rules {
        /// `text` (default) or `json`.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// List every file a check would read, with its package, targets, module
    /// path and zone (business-logic, ffi, test, bench, example,
    /// build-script, generated, orphan): why a file was or was not reported.
    Files {
        /// Files or directories (default: the current directory).
        paths: Vec<PathBuf>,
        /// `text` (default) or `json`.
        #[arg(long, default_value = "text")]
        format: String,
        /// Use this configuration file instead of discovering one.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `rustgate man > rustgate.1`.
    Man,
    /// Write a `rustgate.toml` with every key at its default, commented.
    Init {
        /// The folder to write it in (default: the current directory).
        path: Option<PathBuf>,
        /// Also record today's findings in `rustgate-baseline.json`, so that
        /// `check --baseline rustgate-baseline.json` gates only new ones.
        #[arg(long)]
        baseline: bool,
        /// Overwrite an existing `rustgate.toml`.
        #[arg(long)]
        force: bool,
    },
    /// Run the language server over stdio: diagnostics for open buffers as
    /// you type, a quick fix that inserts a suppression, hover with the
    /// rule's documentation.
    Server,
    /// Remove the result cache (`<target dir>/rustgate/`, or `--cache-dir`).
    Clean {
        /// A directory of the workspace (default: the current directory).
        path: Option<PathBuf>,
        /// The cache directory to remove instead of the workspace's.
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Also write FORMAT to PATH (repeatable), e.g. `--output sarif=rustgate.sarif`.
    #[arg(long = "output", value_name = "FORMAT=PATH")]
    pub outputs: Vec<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// The lowest severity that fails the gate: error (default), warning or note.
    #[arg(long, value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Exit 0 even when the gate fails (errors of rustgate itself still exit 2).
    #[arg(long)]
    pub exit_zero: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print where the time went on stderr.
    #[arg(long)]
    pub timings: bool,
    /// SARIF `automationDetails.id`, the GitHub code scanning category
    /// (default: the configuration's `sarif-category`, else `rustgate/`).
    #[arg(long, value_name = "CATEGORY")]
    pub sarif_category: Option<String>,
    /// Report and gate only findings that are not in this baseline file
    /// (written by `rustgate baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Rewrite the `--baseline` file without the findings that are fixed.
    #[arg(long, requires = "baseline")]
    pub update_baseline: bool,
    /// With `--diff-base`: report only the findings on changed lines.
    #[arg(long, requires = "diff_base")]
    pub only_new: bool,
    /// Neither read nor write the result cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Check the text on stdin as this file (give `-` as the PATH): the rest
    /// of its crate is read from disk, and only this file's findings are
    /// reported. For editors and pre-commit tools.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// When to colour the human output: auto (on a terminal, or when
    /// `FORCE_COLOR` or `CLICOLOR_FORCE` is set), always or never. A
    /// non-empty `NO_COLOR` always wins.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print the effective configuration (every key, and the file, command
    /// line or default it comes from) and the rules that run; check nothing.
    #[arg(long)]
    pub show_settings: bool,
    /// Keep the result cache here instead of `<target dir>/rustgate/`.
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub coverage: Box<crate::coverage::driver::CoverageArgs>,
}

/// Which configuration and rules a run uses: shared by `check` and `baseline`.
#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// Use this configuration file instead of discovering one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Enable only these rules (codes, prefixes such as `RG2`, or names; comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Disable these rules, in addition to the configuration's `ignore`.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Also run preview rules (new rules not yet measured on real services).
    #[arg(long)]
    pub preview: bool,
}

impl RuleArgs {
    fn overrides(&self, fail_on: Option<Severity>) -> Overrides {
        Overrides {
            preview: self.preview,
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            fail_on,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct BaselineArgs {
    /// Files or directories to check (default: the current directory).
    pub paths: Vec<PathBuf>,
    /// The baseline file to write.
    #[arg(short, long, default_value = "rustgate-baseline.json")]
    pub output: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// A rule's documentation page: what `rustgate rule CODE` prints and
/// `docs/rules/CODE.md` holds (SARIF's `helpUri` points there).
pub fn rule_page(meta: &rustgate_rules::RuleMeta) -> String {
    format!(
        "# {} {}\n\nDefault severity: {} · Maturity: {}\n\n{}",
        meta.code,
        meta.name,
        meta.default_severity,
        meta.maturity(),
        meta.doc_text()
    )
}

/// A progress line on stderr when a run takes more than a second, on a
/// terminal only: never in pipes, files or CI logs (`CI` set).
struct ProgressLine {
    state: Option<(
        std::sync::Arc<engine::Progress>,
        std::sync::Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<()>,
    )>,
}

impl ProgressLine {
    fn start(options: &mut RunOptions) -> ProgressLine {
        if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
            return ProgressLine { state: None };
        }
        let progress = std::sync::Arc::new(engine::Progress::default());
        let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        options.progress = Some(progress.clone());
        let (p, f) = (progress.clone(), finished.clone());
        let handle = std::thread::spawn(move || {
            use std::sync::atomic::Ordering::Relaxed;
            let tick = std::time::Duration::from_millis(100);
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_secs(1) {
                if f.load(Relaxed) {
                    return;
                }
                std::thread::sleep(tick);
            }
            let bar = indicatif::ProgressBar::new(p.total.load(Relaxed) as u64);
            if let Ok(style) =
                indicatif::ProgressStyle::with_template("checking {pos}/{len} files {wide_bar}")
            {
                bar.set_style(style);
            }
            while !f.load(Relaxed) {
                bar.set_length(p.total.load(Relaxed) as u64);
                bar.set_position(p.done.load(Relaxed) as u64);
                std::thread::sleep(tick);
            }
            bar.finish_and_clear();
        });
        ProgressLine {
            state: Some((progress, finished, handle)),
        }
    }

    fn finish(self) {
        if let Some((_, finished, handle)) = self.state {
            finished.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Whether to colour: `NO_COLOR` (non-empty) wins, then the flag, then
/// `FORCE_COLOR` / `CLICOLOR_FORCE` (set and not `0`), then the terminal.
pub fn use_color(
    choice: ColorChoice,
    is_terminal: bool,
    no_color: Option<String>,
    force_color: Option<String>,
    clicolor_force: Option<String>,
) -> bool {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty() && v != "0");
    if no_color.as_deref().is_some_and(|v| !v.is_empty()) {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => set(&force_color) || set(&clicolor_force) || is_terminal,
    }
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    crate::config::parse_severity(s)
        .ok_or_else(|| format!("`{s}` is not a severity (expected error, warning or note)"))
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::Baseline(args) => record_baseline(args),
        Command::Rule { rule } => match registry::find(&rule) {
            Some(meta) => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(rule_page(meta).as_bytes());
                ExitCode::SUCCESS
            }
            None => {
                let all = registry::all();
                let candidates: Vec<&str> = all.iter().flat_map(|m| [m.code, m.name]).collect();
                eprintln!(
                    "rustgate: unknown rule `{rule}`{}",
                    crate::config::did_you_mean(&rule, &candidates)
                );
                ExitCode::from(2)
            }
        },
        Command::Rules { format } => list_rules(&format),
        Command::Clean { path, cache_dir } => clean(path, cache_dir),
        Command::Server => crate::server::serve(),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "rustgate", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            match clap_mangen::Man::new(cmd).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("rustgate: cannot write the manual page: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Init {
            path,
            baseline,
            force,
        } => init(path.unwrap_or_else(|| PathBuf::from(".")), baseline, force),
        Command::Files {
            paths,
            format,
            config,
        } => list_files(paths, &format, config),
    }
}

/// `rustgate files`: each file's place in the workspace.
fn list_files(paths: Vec<PathBuf>, format: &str, config: Option<PathBuf>) -> ExitCode {
    if format != "text" && format != "json" {
        eprintln!("rustgate: unknown format `{format}` (expected text or json)");
        return ExitCode::from(2);
    }
    let run = match engine::run(&RunOptions {
        paths,
        config,
        ..RunOptions::default()
    }) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("rustgate: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let problems: Vec<&rustgate_rules::Diagnostic> = run
        .active()
        .filter(|d| matches!(d.rule.code, "RG901" | "RG905"))
        .collect();
    let written = if format == "json" {
        let doc = serde_json::json!({
            "root": ".",
            "files": run.files,
            "summary": {
                "files": run.files.len(),
                "orphans": run.files.iter().filter(|f| f.zone == "orphan").count(),
            },
            "problems": problems.iter().map(|d| serde_json::json!({
                "code": d.rule.code,
                "path": d.primary.path,
                "line": d.primary.span.start.line,
                "message": d.message,
            })).collect::<Vec<_>>(),
        });
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        )
    } else {
        let mut text = String::new();
        for f in &run.files {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\n",
                f.path,
                f.package.as_deref().unwrap_or("-"),
                if f.targets.is_empty() {
                    "-".to_owned()
                } else {
                    f.targets.join(",")
                },
                f.module_path.as_deref().unwrap_or("-"),
                f.zone
            ));
        }
        for d in &problems {
            text.push_str(&format!(
                "{}:{}: {} {}\n",
                d.primary.path, d.primary.span.start.line, d.rule.code, d.message
            ));
        }
        out.write_all(text.as_bytes())
    };
    if written.is_err() {
        return ExitCode::from(2);
    }
    if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn clean(path: Option<PathBuf>, cache_dir: Option<PathBuf>) -> ExitCode {
    let dir = match cache_dir {
        Some(dir) => dir,
        None => {
            let path = path.unwrap_or_else(|| PathBuf::from("."));
            let path = std::fs::canonicalize(&path).unwrap_or(path);
            let workspace = crate::workspace::Workspace::discover(&[path]);
            if !workspace.has_cargo() {
                eprintln!("rustgate: no Cargo workspace here, so no cache to remove");
                return ExitCode::SUCCESS;
            }
            crate::cache::default_dir(&crate::engine::target_dir(&workspace.root))
        }
    };
    match crate::cache::clean(&dir) {
        Ok(true) => {
            eprintln!("rustgate: removed {}", dir.display());
            ExitCode::SUCCESS
        }
        Ok(false) => ExitCode::SUCCESS,
        Err(crate::cache::CleanError::NotOurs { entry }) => {
            eprintln!(
                "rustgate: refusing to clean {}: it holds `{entry}`, which rustgate did not write (nothing was removed)",
                dir.display()
            );
            ExitCode::from(2)
        }
        Err(crate::cache::CleanError::Io(e)) => {
            eprintln!("rustgate: cannot remove {}: {e}", dir.display());
            ExitCode::from(2)
        }
    }
}

fn list_rules(format: &str) -> ExitCode {
    let all = registry::all();
    let mut out = std::io::stdout().lock();
    match format {
        "json" => {
            let v: Vec<serde_json::Value> = all
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "code": m.code,
                        "name": m.name,
                        "severity": m.default_severity,
                        "summary": m.summary,
                        "tags": m.tags,
                        "maturity": m.maturity(),
                    })
                })
                .collect();
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            );
        }
        "text" => {
            for m in &all {
                let _ = writeln!(
                    out,
                    "{:<6} {:<32} {:<8} {:<8} {}",
                    m.code,
                    m.name,
                    m.default_severity,
                    m.maturity(),
                    m.summary
                );
            }
        }
        other => {
            eprintln!("rustgate: unknown format `{other}` for `rules` (expected text or json)");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

fn check(args: CheckArgs) -> ExitCode {
    let mut outputs = Vec::new();
    for spec in &args.outputs {
        let parsed = spec
            .split_once('=')
            .and_then(|(f, p)| Some((Format::parse(f)?, PathBuf::from(p))));
        match parsed {
            Some(o) if !o.1.as_os_str().is_empty() => outputs.push(o),
            _ => {
                eprintln!(
                    "rustgate: invalid --output `{spec}`: expected FORMAT=PATH with FORMAT one of human, concise, json, sarif, github, summary, cargo"
                );
                return ExitCode::from(2);
            }
        }
    }
    if let Some(n) = args.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
    {
        eprintln!("rustgate: cannot start {n} threads: {e}");
        return ExitCode::from(2);
    }
    let stdin = match &args.stdin_filename {
        None if args.paths.iter().any(|p| p.as_os_str() == "-") => {
            eprintln!(
                "rustgate: `-` reads the file from stdin: name it with --stdin-filename PATH"
            );
            return ExitCode::from(2);
        }
        None => None,
        Some(path) => {
            if args.paths.len() != 1 || args.paths[0].as_os_str() != "-" {
                eprintln!("rustgate: with --stdin-filename, give `-` as the only PATH");
                return ExitCode::from(2);
            }
            let mut text = Vec::new();
            if let Err(e) = std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut text) {
                eprintln!("rustgate: cannot read stdin: {e}");
                return ExitCode::from(2);
            }
            Some(engine::Stdin {
                path: path.clone(),
                text,
            })
        }
    };
    let options = RunOptions {
        paths: if stdin.is_some() {
            Vec::new()
        } else {
            args.paths.clone()
        },
        stdin,
        config: args.rules.config.clone(),
        overrides: args.rules.overrides(args.fail_on),
        coverage: args.coverage.overrides(),
        cache: match (&args.cache_dir, args.no_cache) {
            (_, true) => crate::cache::CacheMode::Off,
            (Some(dir), false) => crate::cache::CacheMode::Dir(dir.clone()),
            (None, false) => crate::cache::CacheMode::Default,
        },
        progress: None,
    };
    if args.show_settings {
        return match engine::show_settings(&options) {
            Ok((text, notices)) => {
                for notice in notices {
                    eprintln!("rustgate: {notice}");
                }
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rustgate: {e}");
                ExitCode::from(2)
            }
        };
    }
    let mut options = options;
    let progress = ProgressLine::start(&mut options);
    let run = engine::run(&options);
    progress.finish();
    let mut run = match run {
        Ok(run) => run,
        Err(e) => {
            eprintln!("rustgate: {e}");
            return ExitCode::from(2);
        }
    };
    for notice in &run.notices {
        eprintln!("rustgate: {notice}");
    }
    if let Some(category) = &args.sarif_category {
        run.config.sarif_category = Some(category.clone());
    }
    if let Err(e) = new_code_only(&args, &mut run) {
        eprintln!("rustgate: {e}");
        return ExitCode::from(2);
    }
    let output_start = std::time::Instant::now();
    let stdout = std::io::stdout();
    let env = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let color = args.format == Format::Human
        && use_color(
            args.color,
            stdout.is_terminal(),
            env("NO_COLOR"),
            env("FORCE_COLOR"),
            env("CLICOLOR_FORCE"),
        );
    let mut lock = stdout.lock();
    if let Err(e) = output::render(args.format, &run, &mut lock, color).and_then(|()| lock.flush())
    {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("rustgate: cannot write output: {e}");
            return ExitCode::from(2);
        }
    }
    for (format, path) in &outputs {
        let written = output::write_replacing(path, |w| output::render(*format, &run, w, false));
        if let Err(e) = written {
            eprintln!("rustgate: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if args.timings {
        let t = &run.timings;
        let total = run.elapsed + output_start.elapsed();
        // The floor: the parse phase spread over the threads.
        let parse_wall = t.parse.as_secs_f64() / t.threads.max(1) as f64;
        eprintln!(
            "timings: discovery {:.3} s | cache load {:.3} s | files (wall) {:.3} s = read {:.3} s + parse {:.3} s + rules {:.3} s + other {:.3} s (summed over {} threads), {} from cache | cache store {:.3} s | crate phase {:.3} s | output {:.3} s | total {:.3} s = {:.2} x parse / threads | {} files, {} lines, {:.1} MB | {} orphans, {} reclassified by module trees",
            t.discovery.as_secs_f64(),
            t.cache_load.as_secs_f64(),
            t.files_wall.as_secs_f64(),
            t.read.as_secs_f64(),
            t.parse.as_secs_f64(),
            t.rules.as_secs_f64(),
            t.other.as_secs_f64(),
            t.threads,
            t.cache_hits,
            t.cache_store.as_secs_f64(),
            t.crate_phase.as_secs_f64(),
            output_start.elapsed().as_secs_f64(),
            total.as_secs_f64(),
            if parse_wall > 0.0 {
                total.as_secs_f64() / parse_wall
            } else {
                0.0
            },
            run.files_checked,
            run.lines,
            run.bytes as f64 / 1e6,
            t.orphans,
            t.reclassified,
        );
    }
    if run.internal_error {
        eprintln!("rustgate: a rule failed (RG904); please report it with the file named above");
        ExitCode::from(2)
    } else if run.gate_failed() && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `--baseline`, `--update-baseline`, `--diff-base` and `--only-new`.
fn new_code_only(
    args: &CheckArgs,
    run: &mut engine::Run,
) -> Result<(), crate::baseline::BaselineError> {
    if let Some(path) = &args.baseline {
        let baseline = crate::baseline::Baseline::read(path)?;
        let applied = baseline.apply(run);
        if applied.matched > 0 {
            eprintln!(
                "rustgate: {} baselined finding{} not reported ({})",
                applied.matched,
                if applied.matched == 1 { "" } else { "s" },
                path.display()
            );
        }
        if !applied.fixed.is_empty() {
            let n = applied.fixed.len();
            if args.update_baseline {
                applied.updated.write(path)?;
                eprintln!(
                    "rustgate: removed {n} fixed finding{} from {}",
                    if n == 1 { "" } else { "s" },
                    path.display()
                );
            } else {
                eprintln!(
                    "rustgate: {n} baselined finding{} fixed; run with --update-baseline to remove {} from {}",
                    if n == 1 { " is" } else { "s are" },
                    if n == 1 { "it" } else { "them" },
                    path.display()
                );
            }
        } else if args.update_baseline {
            applied.updated.write(path)?;
        }
    }
    // `--diff-base` (with the coverage flags: it also sets patch coverage).
    if let Some(base) = &args.coverage.diff_base {
        crate::baseline::diff_base(run, base, args.only_new)?;
    }
    Ok(())
}

/// `rustgate init`.
fn init(dir: PathBuf, baseline: bool, force: bool) -> ExitCode {
    let file = dir.join("rustgate.toml");
    if !force && std::fs::symlink_metadata(&file).is_ok() {
        eprintln!(
            "rustgate: {} already exists (`--force` overwrites it)",
            file.display()
        );
        return ExitCode::from(2);
    }
    // Replace, never write through, a link the tree placed there.
    let _ = std::fs::remove_file(&file);
    if let Err(e) = std::fs::write(&file, crate::config::template()) {
        eprintln!("rustgate: cannot write {}: {e}", file.display());
        return ExitCode::from(2);
    }
    eprintln!("rustgate: wrote {}", file.display());
    if !baseline {
        return ExitCode::SUCCESS;
    }
    record_baseline(BaselineArgs {
        output: dir.join("rustgate-baseline.json"),
        paths: vec![dir],
        rules: RuleArgs {
            config: None,
            select: None,
            ignore: Vec::new(),
            preview: false,
        },
    })
}

fn record_baseline(args: BaselineArgs) -> ExitCode {
    let options = RunOptions {
        paths: args.paths,
        config: args.rules.config.clone(),
        overrides: args.rules.overrides(None),
        coverage: Default::default(),
        cache: crate::cache::CacheMode::Default,
        stdin: None,
        progress: None,
    };
    let run = match engine::run(&options) {
        Ok(run) => run,
        Err(e) => {
            eprintln!("rustgate: {e}");
            return ExitCode::from(2);
        }
    };
    let baseline = crate::baseline::Baseline::record(&run);
    if let Err(e) = baseline.write(&args.output) {
        eprintln!("rustgate: {e}");
        return ExitCode::from(2);
    }
    let n = baseline.findings.len();
    eprintln!(
        "rustgate: recorded {n} finding{} in {}",
        if n == 1 { "" } else { "s" },
        args.output.display()
    );
    if run.internal_error {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_the_environment_and_the_terminal() {
        let s = |v: &str| Some(v.to_owned());
        use ColorChoice::*;
        assert!(use_color(Auto, true, None, None, None));
        assert!(!use_color(Auto, false, None, None, None));
        assert!(use_color(Auto, false, None, s("1"), None));
        assert!(use_color(Auto, false, None, None, s("1")));
        assert!(!use_color(Auto, false, None, s("0"), s("")));
        assert!(use_color(Always, false, None, None, None));
        assert!(!use_color(Never, true, None, s("1"), None));
        // NO_COLOR wins over everything; empty, it is unset.
        assert!(!use_color(Always, true, s("1"), s("1"), None));
        assert!(use_color(Auto, true, s(""), None, None));
    }
}
