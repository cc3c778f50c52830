"""The Python in docs/client.md, as a reader would use it: every block compiles and
imports only names odin_client has, and the two-gateway resume program runs
against two real gateways (the doc's host names replaced by theirs) with 0 gaps."""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any, List

import odin_client

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
PACKAGE_DIR = os.path.join(ROOT, "clients", "python")


def python_blocks() -> List[str]:
    with open(os.path.join(ROOT, "docs", "client.md"), encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_every_python_block_compiles_and_imports_what_exists() -> None:
    blocks = python_blocks()
    assert len(blocks) >= 3
    for block in blocks:
        compile(block, "docs/client.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # snippets may await at top level
        for names in re.findall(r"^from odin_client import (.+)$", block, re.M):
            for name in (n.strip() for n in names.split(",")):
                assert hasattr(odin_client, name), f"docs/client.md imports {name}, which odin_client lacks"


def test_the_docs_resume_program_moves_between_two_gateways_with_zero_gaps(gateways: Any) -> None:
    program = next(b for b in python_blocks() if "gateway-2" in b)
    program = program.replace("ws://gateway-1:3004/ws", gateways.ws_a).replace("ws://gateway-2:3004/ws", gateways.ws_b)
    published: List[int] = []
    stop = threading.Event()

    def publish() -> None:  # a steady stream through gateway B's server API
        i = 0
        while not stop.is_set():
            published.append(gateways.publish("token.BTC.price", {"type": "price:update", "tokenId": "BTC", "price": 100 + i})["seq"])
            i += 1
            time.sleep(0.02)

    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(program)
    env = {**os.environ, "PYTHONPATH": PACKAGE_DIR, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, f.name], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    lines: List[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if len([x for x in lines if x.endswith(" next")]) >= 20:
                break
    finally:
        stop.set()
        proc.kill()
        proc.wait()
        publisher.join()
        os.unlink(f.name)
    assert "recovered: True" in lines, lines
    split = lines.index("recovered: True")
    before = [int(x) for x in lines[:split]]
    after = [x.split() for x in lines[split + 1 :]]
    assert len(before) == 10 and len(after) >= 20, lines
    # A new client has nothing to compare its first message with ("first"), but its prev is the saved seq.
    assert after[0][1] == str(before[-1]) and after[0][2] == "first", after[0]
    assert all(verdict == "next" for _, _, verdict in after[1:]), after
    seqs = before + [int(s) for s, _, _ in after]
    start = published.index(seqs[0])
    assert seqs == published[start : start + len(seqs)], "every message once, in order, across both gateways"
