//! `rustgate server`: a language server over stdio (`lsp-server` for the
//! JSON-RPC transport, `lsp-types` for the protocol's types).
//!
//! Each open buffer is checked as `check --stdin-filename` checks stdin: the
//! buffer's text in place of its file, the rest of its package from disk
//! (crate-level rules such as RG202 need it), the result cache for files
//! that did not change. Messages that arrive while a check runs are read
//! before the next check, so a burst of edits costs one check per buffer.
//!
//! Offered: diagnostics on open, change and save (full document sync);
//! a quick fix per finding that inserts a suppression comment with a reason
//! placeholder; hover on a finding with the rule's documentation.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::process::ExitCode;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::{self, Notification as _};
use lsp_types::request::{self, Request as _};
use rustgate_rules::{Diagnostic, Severity};

use crate::cache::CacheMode;
use crate::engine::{self, RunOptions, Stdin};

/// The text of an open buffer and its findings from the last check.
struct Document {
    text: String,
    findings: Vec<Diagnostic>,
}

#[derive(Default)]
struct State {
    docs: HashMap<lsp::Uri, Document>,
    /// Buffers changed since their last check.
    dirty: BTreeSet<String>,
    shutdown: bool,
}

/// Runs the server until the client sends `exit`.
pub fn serve() -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let code = match serve_on(&connection) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rustgate server: {e}");
            ExitCode::from(2)
        }
    };
    drop(connection);
    if let Err(e) = io_threads.join() {
        eprintln!("rustgate server: {e}");
        return ExitCode::from(2);
    }
    code
}

fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::SaveOptions(
                    lsp::SaveOptions {
                        include_text: Some(true),
                    },
                )),
                ..Default::default()
            },
        )),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Simple(true)),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        ..Default::default()
    }
}

fn serve_on(connection: &Connection) -> Result<()> {
    let caps = serde_json::to_value(capabilities())?;
    connection.initialize(caps)?;
    let mut state = State::default();
    while let Ok(message) = connection.receiver.recv() {
        if handle(connection, &mut state, message)? {
            return Ok(());
        }
        // Read whatever else is already queued before checking: a burst of
        // edits is one check per buffer.
        while let Ok(message) = connection.receiver.try_recv() {
            if handle(connection, &mut state, message)? {
                return Ok(());
            }
        }
        check_dirty(connection, &mut state)?;
    }
    Ok(())
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Handles one message; `true` when the client asked to exit.
fn handle(connection: &Connection, state: &mut State, message: Message) -> Result<bool> {
    match message {
        Message::Request(req) => {
            if state.shutdown {
                let resp = Response::new_err(
                    req.id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is shutting down".to_owned(),
                );
                connection.sender.send(resp.into())?;
                return Ok(false);
            }
            if req.method == request::Shutdown::METHOD {
                state.shutdown = true;
                connection
                    .sender
                    .send(Response::new_ok(req.id, ()).into())?;
                return Ok(false);
            }
            let resp = respond(state, req);
            connection.sender.send(resp.into())?;
        }
        Message::Notification(n) => return notified(connection, state, n),
        Message::Response(_) => {}
    }
    Ok(false)
}

fn respond(state: &State, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        request::HoverRequest::METHOD => req
            .extract::<lsp::HoverParams>(request::HoverRequest::METHOD)
            .map(|(id, p)| Response::new_ok(id, hover(state, &p))),
        request::CodeActionRequest::METHOD => req
            .extract::<lsp::CodeActionParams>(request::CodeActionRequest::METHOD)
            .map(|(id, p)| Response::new_ok(id, code_actions(state, &p))),
        _ => {
            return Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("rustgate does not handle `{}`", req.method),
            );
        }
    };
    result.unwrap_or_else(|e| {
        Response::new_err(
            id,
            ErrorCode::InvalidParams as i32,
            format!("invalid parameters: {e}"),
        )
    })
}

fn notified(connection: &Connection, state: &mut State, n: Notification) -> Result<bool> {
    match n.method.as_str() {
        notification::Exit::METHOD => return Ok(true),
        notification::DidOpenTextDocument::METHOD => {
            let p: lsp::DidOpenTextDocumentParams = serde_json::from_value(n.params)?;
            let uri = p.text_document.uri;
            state.dirty.insert(uri.as_str().to_owned());
            state.docs.insert(
                uri,
                Document {
                    text: p.text_document.text,
                    findings: Vec::new(),
                },
            );
        }
        notification::DidChangeTextDocument::METHOD => {
            let p: lsp::DidChangeTextDocumentParams = serde_json::from_value(n.params)?;
            // Full sync: the last change holds the whole text.
            if let Some(change) = p.content_changes.into_iter().last()
                && let Some(doc) = state.docs.get_mut(&p.text_document.uri)
            {
                doc.text = change.text;
                state.dirty.insert(p.text_document.uri.as_str().to_owned());
            }
        }
        notification::DidSaveTextDocument::METHOD => {
            let p: lsp::DidSaveTextDocumentParams = serde_json::from_value(n.params)?;
            if let Some(doc) = state.docs.get_mut(&p.text_document.uri) {
                if let Some(text) = p.text {
                    doc.text = text;
                }
                state.dirty.insert(p.text_document.uri.as_str().to_owned());
            }
        }
        notification::DidCloseTextDocument::METHOD => {
            let p: lsp::DidCloseTextDocumentParams = serde_json::from_value(n.params)?;
            state.docs.remove(&p.text_document.uri);
            state.dirty.remove(p.text_document.uri.as_str());
            publish(connection, p.text_document.uri, Vec::new())?;
        }
        _ => {}
    }
    Ok(false)
}

/// Checks every changed buffer and publishes its diagnostics.
fn check_dirty(connection: &Connection, state: &mut State) -> Result<()> {
    let dirty = std::mem::take(&mut state.dirty);
    for (uri, doc) in state.docs.iter_mut() {
        if !dirty.contains(uri.as_str()) {
            continue;
        }
        let Some(path) = file_path(uri) else {
            continue;
        };
        match check(&path, &doc.text) {
            Ok(findings) => doc.findings = findings,
            Err(e) => {
                log(
                    connection,
                    lsp::MessageType::ERROR,
                    format!("{}: {e}", path.display()),
                )?;
                doc.findings.clear();
            }
        }
        let diagnostics = doc.findings.iter().map(|d| to_lsp(d, &doc.text)).collect();
        publish(connection, uri.clone(), diagnostics)?;
    }
    Ok(())
}

/// The file a `file:` URI names.
fn file_path(uri: &lsp::Uri) -> Option<PathBuf> {
    if !uri
        .scheme()
        .is_some_and(|s| s.as_str().eq_ignore_ascii_case("file"))
    {
        return None;
    }
    let bytes = uri.path().as_estr().decode().into_bytes();
    let text = String::from_utf8(bytes.into_owned()).ok()?;
    // `file:///C:/x` on Windows: drop the slash before the drive letter.
    #[cfg(windows)]
    let text = match text.as_bytes() {
        [b'/', d, b':', ..] if d.is_ascii_alphabetic() => text[1..].to_owned(),
        _ => text,
    };
    Some(PathBuf::from(text))
}

/// The active findings of one buffer.
fn check(path: &std::path::Path, text: &str) -> std::result::Result<Vec<Diagnostic>, String> {
    let run = engine::run(&RunOptions {
        stdin: Some(Stdin {
            path: path.to_owned(),
            text: text.as_bytes().to_vec(),
        }),
        cache: CacheMode::Default,
        ..RunOptions::default()
    })
    .map_err(|e| e.to_string())?;
    Ok(run.active().cloned().collect())
}

fn publish(
    connection: &Connection,
    uri: lsp::Uri,
    diagnostics: Vec<lsp::Diagnostic>,
) -> Result<()> {
    let params = lsp::PublishDiagnosticsParams {
        uri,
        diagnostics,
        version: None,
    };
    let n = Notification::new(notification::PublishDiagnostics::METHOD.to_owned(), params);
    connection.sender.send(n.into())?;
    Ok(())
}

fn log(connection: &Connection, typ: lsp::MessageType, message: String) -> Result<()> {
    let n = Notification::new(
        notification::LogMessage::METHOD.to_owned(),
        lsp::LogMessageParams { typ, message },
    );
    connection.sender.send(n.into())?;
    Ok(())
}

fn to_lsp(d: &Diagnostic, text: &str) -> lsp::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp::Diagnostic {
        range: range(text, d.primary.span),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.rule.code.to_owned())),
        source: Some("rustgate".to_owned()),
        message,
        ..Default::default()
    }
}

/// An LSP range (0-based lines, UTF-16 columns) for a span (1-based lines,
/// 1-based columns in characters; `u32::MAX` is the end of the line).
fn range(text: &str, span: rustgate_rules::Span) -> lsp::Range {
    let start = position(text, span.start);
    let mut end = position(text, span.end);
    if end < start {
        end = start;
    }
    lsp::Range { start, end }
}

fn position(text: &str, at: rustgate_rules::LineCol) -> lsp::Position {
    let line = at.line.saturating_sub(1);
    let content = line_text(text, line);
    let chars = at.column.saturating_sub(1) as usize;
    let character = content
        .chars()
        .take(chars)
        .map(|c| c.len_utf16() as u32)
        .sum();
    lsp::Position { line, character }
}

/// Line `line` (0-based) of `text`, without its line ending; empty past the end.
fn line_text(text: &str, line: u32) -> &str {
    let content = text.split('\n').nth(line as usize).unwrap_or("");
    content.strip_suffix('\r').unwrap_or(content)
}

fn covers(range: &lsp::Range, at: lsp::Position) -> bool {
    range.start <= at && at <= range.end
}

fn hover(state: &State, p: &lsp::HoverParams) -> Option<lsp::Hover> {
    let pos = &p.text_document_position_params;
    let doc = state.docs.get(&pos.text_document.uri)?;
    let d = doc
        .findings
        .iter()
        .find(|d| covers(&range(&doc.text, d.primary.span), pos.position))?;
    let meta = d.rule;
    Some(lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent {
            kind: lsp::MarkupKind::Markdown,
            value: format!(
                "**{} {}**: {}\n\n{}",
                meta.code,
                meta.name,
                d.message,
                meta.doc_text()
            ),
        }),
        range: Some(range(&doc.text, d.primary.span)),
    })
}

/// A quick fix per rustgate finding in the range: a suppression comment
/// with a reason to fill in.
// `WorkspaceEdit::changes` is keyed by `Uri`, whose parsed form caches
// offsets in cells: clippy's mutable-key lint, harmless as keys never change.
#[allow(clippy::mutable_key_type)]
fn code_actions(state: &State, p: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
    let Some(doc) = state.docs.get(&p.text_document.uri) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    for d in &p.context.diagnostics {
        if d.source.as_deref() != Some("rustgate") {
            continue;
        }
        let Some(lsp::NumberOrString::String(code)) = &d.code else {
            continue;
        };
        let edit = suppression_edit(&doc.text, d.range.start.line, code);
        let changes = HashMap::from([(p.text_document.uri.clone(), vec![edit])]);
        actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: format!("Suppress {code} on this line (rustgate)"),
            kind: Some(lsp::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(lsp::WorkspaceEdit {
                changes: Some(changes),
                ..Default::default()
            }),
            ..Default::default()
        }));
    }
    actions
}

/// The reason placeholder a quick fix leaves for the user to replace.
pub const REASON_PLACEHOLDER: &str = "TODO: why this is acceptable";

/// A trailing `// rustgate: allow(CODE) reason` on the finding's line; on a
/// line of its own above it when the line already ends in a comment.
fn suppression_edit(text: &str, line: u32, code: &str) -> lsp::TextEdit {
    let content = line_text(text, line);
    let comment = format!("// rustgate: allow({code}) {REASON_PLACEHOLDER}");
    if content.contains("//") {
        let indent: String = content.chars().take_while(|c| c.is_whitespace()).collect();
        let at = lsp::Position { line, character: 0 };
        lsp::TextEdit {
            range: lsp::Range { start: at, end: at },
            new_text: format!("{indent}{comment}\n"),
        }
    } else {
        let end = content.trim_end().encode_utf16().count() as u32;
        let at = lsp::Position {
            line,
            character: end,
        };
        lsp::TextEdit {
            range: lsp::Range { start: at, end: at },
            new_text: format!(" {comment}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units_and_clamp_whole_lines() {
        let text = "let a = 1;\r\nlet é😀 = x.unwrap();\n";
        let at = |line, column| rustgate_rules::LineCol { line, column };
        assert_eq!(
            position(text, at(2, 9)),
            lsp::Position {
                line: 1,
                character: 9
            }
        );
        assert_eq!(
            position(text, at(1, u32::MAX)),
            lsp::Position {
                line: 0,
                character: 10
            }
        );
        assert_eq!(position(text, at(9, 3)).character, 0);
    }

    #[test]
    fn suppressions_trail_the_line_unless_it_has_a_comment() {
        let text = "fn f() {\n    x.unwrap();\n    y.unwrap(); // why\n}\n";
        let e = suppression_edit(text, 1, "RG201");
        assert_eq!(
            e.range.start,
            lsp::Position {
                line: 1,
                character: 15
            }
        );
        assert_eq!(
            e.new_text,
            format!(" // rustgate: allow(RG201) {REASON_PLACEHOLDER}")
        );
        let e = suppression_edit(text, 2, "RG201");
        assert_eq!(
            e.range.start,
            lsp::Position {
                line: 2,
                character: 0
            }
        );
        assert_eq!(
            e.new_text,
            format!("    // rustgate: allow(RG201) {REASON_PLACEHOLDER}\n")
        );
    }
}
