#!/usr/bin/env python3
"""Latency of `rustgate server` for one changed buffer in a 50-file crate.

Usage: bench/server-latency.py [RUSTGATE] (default target/release/rustgate)

Generates a crate of 50 modules (~60 lines each, axum-style handlers calling
helpers across files), opens one module, then sends 10 edits one at a time
and times each from `didChange` to its `publishDiagnostics`. Prints the
first check (cold cache) and the median and max of the edits.
"""
import json, os, statistics, subprocess, sys, tempfile, time

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/rustgate")
root = tempfile.mkdtemp(prefix="rg-lsp-")
os.makedirs(f"{root}/src")
open(f"{root}/Cargo.toml", "w").write(
    '[package]\nname = "lat"\nversion = "0.1.0"\nedition = "2021"\n\n[workspace]\n')
mods = [f"m{i}" for i in range(50)]
open(f"{root}/src/lib.rs", "w").write("".join(f"pub mod {m};\n" for m in mods) +
    "pub fn router() -> axum::Router {\n    axum::Router::new()\n" +
    "".join(f'        .route("/{m}", axum::routing::get({m}::handler))\n' for m in mods) + "}\n")
def module(i, extra=""):
    body = [f"use crate::m{(i + 1) % 50}::helper as next;\n",
            "pub async fn handler(axum::extract::Path(id): axum::extract::Path<u64>) -> String {\n",
            "    let v = helper(id);\n", f"    next(v){extra}.to_string()\n", "}\n",
            "pub fn helper(x: u64) -> u64 {\n    let mut total = 0;\n"]
    body += [f"    total += x * {k} + {k};\n" for k in range(40)]
    body += ["    total\n}\n"]
    return "".join(body)
for i, m in enumerate(mods):
    open(f"{root}/src/{m}.rs", "w").write(module(i))

proc = subprocess.Popen([binary, "server"], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def send(msg):
    data = json.dumps(msg).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
    proc.stdin.flush()
def read():
    length = 0
    while True:
        line = proc.stdout.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(proc.stdout.read(length))
def wait_diagnostics():
    while True:
        m = read()
        if m.get("method") == "textDocument/publishDiagnostics":
            return m["params"]["diagnostics"]

send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
      "params": {"processId": None, "rootUri": f"file://{root}", "capabilities": {}}})
read()
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
uri = f"file://{root}/src/m7.rs"
t = time.perf_counter()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
    "uri": uri, "languageId": "rust", "version": 1, "text": module(7)}}})
wait_diagnostics()
cold = time.perf_counter() - t
times = []
for v in range(10):
    text = module(7, ".unwrap()" if v % 2 == 0 else "")
    t = time.perf_counter()
    send({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": v + 2}, "contentChanges": [{"text": text}]}})
    wait_diagnostics()
    times.append(time.perf_counter() - t)
send({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
read()
send({"jsonrpc": "2.0", "method": "exit", "params": None})
proc.wait(timeout=10)
print(f"50-file crate: first check {cold * 1000:.0f} ms; one changed buffer: "
      f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms (10 edits)")
