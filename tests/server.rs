//! `rustgate server` driven over stdio with JSON-RPC, as an editor drives it.

use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

use crate::common::{UNSAFE_LIB, bin, crate_with_lib};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Message>,
    next_id: i32,
}

impl Client {
    fn start(dir: &std::path::Path) -> Client {
        let mut child = Command::new(bin())
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(m)) = Message::read(&mut reader) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, m: Message) {
        m.write(&mut self.stdin).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Notification::new(method.to_owned(), params).into());
    }

    /// Sends a request and waits for its response's result.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(Request::new(RequestId::from(id), method.to_owned(), params).into());
        loop {
            match self.next() {
                Message::Response(r) if r.id == RequestId::from(id) => {
                    return match r.response_result {
                        Ok(v) => v,
                        Err(e) => panic!("{method}: {e:?}"),
                    };
                }
                _ => {}
            }
        }
    }

    fn next(&self) -> Message {
        match self.messages.recv_timeout(Duration::from_secs(60)) {
            Ok(m) => m,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in 60 s"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        loop {
            if let Message::Notification(n) = self.next()
                && n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == uri
            {
                return n.params["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn file_uri(path: &std::path::Path) -> String {
    let path = path.to_str().unwrap();
    assert!(path.starts_with('/'), "the test builds unix file URIs");
    format!("file://{}", path.replace('%', "%25").replace(' ', "%20"))
}

#[test]
fn diagnostics_follow_the_buffer_with_quick_fix_and_hover() {
    let dir = crate_with_lib("pub fn clean() {}\n");
    let root = std::fs::canonicalize(dir.path()).unwrap();
    let uri = file_uri(&root.join("src/lib.rs"));
    let mut client = Client::start(&root);

    let init = client.request(
        "initialize",
        json!({ "processId": null, "rootUri": file_uri(&root), "capabilities": {} }),
    );
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    assert_eq!(init["capabilities"]["codeActionProvider"], true);
    client.notify("initialized", json!({}));

    // The buffer, not the file on disk (which is clean), holds the finding.
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "rust", "version": 1, "text": UNSAFE_LIB } }),
    );
    let diags = client.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "RG101");
    assert_eq!(d["source"], "rustgate");
    assert_eq!(d["severity"], 1);
    // `unsafe` on line 2 (0-based 1), column 5 (0-based 4).
    assert_eq!(d["range"]["start"], json!({ "line": 1, "character": 4 }));

    let hover = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 6 } }),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(
        text.starts_with("**RG101 unsafe-in-business-logic**"),
        "{text}"
    );
    assert!(text.contains("## What it does"), "{text}");
    let nothing = client.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(nothing, Value::Null);

    let actions = client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": d["range"],
            "context": { "diagnostics": [d] },
        }),
    );
    let edit = &actions[0]["edit"]["changes"][&uri][0];
    assert_eq!(actions[0]["kind"], "quickfix");
    assert_eq!(
        edit["range"]["start"],
        json!({ "line": 1, "character": 17 })
    );
    assert!(
        edit["new_text"]
            .as_str()
            .or(edit["newText"].as_str())
            .unwrap()
            .starts_with(" // rustgate: allow(RG101) "),
        "{edit}"
    );

    // The quick fix applied: the finding is suppressed, the diagnostics clear.
    let fixed =
        "pub fn f(p: *const u8) -> u8 {\n    unsafe { *p } // rustgate: allow(RG101) audited\n}\n";
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    // Broken code: the parse error is a diagnostic, not a crash.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": "pub fn f( {" }] }),
    );
    let diags = client.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["code"], "RG901");

    client.notify(
        "textDocument/didClose",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());

    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
