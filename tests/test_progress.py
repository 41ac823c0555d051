"""Progress bars appear only on a terminal, never in piped output or beside JSON logs."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time

from common import logs
from common.progress import on_terminal, progress, track

SCRIPT = """
import time
from common.progress import track
for _ in track(range(4), "核验 checking", after=0.2):
    time.sleep(0.25)
print("done")
"""


def _run_on_a_terminal(*args: str) -> str:
    """Run SCRIPT with stderr (and stdout) on a pseudo-terminal; everything it drew."""
    leader, follower = pty.openpty()
    # The bar's delay is a real timer (a person's wait, not the injected clock): the child runs
    # without libfaketime, whose shifted monotonic clock would make a timed wait last years.
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}
    env.update(TERM="xterm", COLUMNS="100")
    process = subprocess.Popen([sys.executable, *args, "-c", SCRIPT], stdout=follower,
                               stderr=follower, env=env)
    os.close(follower)
    drawn = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    process.wait(timeout=60)
    os.close(leader)
    return drawn.decode("utf-8", "replace")


def test_a_bar_is_drawn_on_a_terminal():
    drawn = _run_on_a_terminal()
    assert "核验 checking" in drawn and "done" in drawn


def test_piped_output_gets_no_bar():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout == "done\n" and result.stderr == ""


def test_json_logs_get_no_bar(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setenv("TERM", "xterm")
    logs.configure("text")
    assert on_terminal()
    logs.configure("json")
    try:
        assert not on_terminal()
    finally:
        logs.configure("text")


def test_every_item_passes_through_and_nested_work_is_silent():
    with progress("外层 outer", total=2) as outer:
        assert list(track(range(3), "内层 inner")) == [0, 1, 2]
        outer.advance(2)
        assert outer.done == 2
