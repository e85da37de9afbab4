"""`strata register` and `strata load` show progress: bars on a terminal, plain lines in a log.

The terminal is a real pseudo-terminal (pty) given to the command as stdout and stderr; the log
case pipes both, as CI does. The bar's drawing itself is checked on a forced rich console.
"""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from pipelines.cli.progress_view import BarView, terminal_progress
from pipelines.core.progress import Progress
from pipelines.core.settings import StrataHome
from pipelines.sample.export import write_sample
from tests.support.paths import REPO
from tests.support.postgres import embedded_home

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
DEADLINE_SECONDS = 180


def strata_env(home: StrataHome) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NO_COLOR", "CI")}
    return env | {
        "STRATA_HOME": str(home.root),
        "DAGSTER_HOME": str(home.dagster_home),
        "TERM": "xterm-256color",
        "COLUMNS": "160",
    }


def strata(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli.main", *args]


def run_on_a_terminal(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run with a pty as stdout and stderr; everything it wrote, and its exit code."""
    controller, terminal = pty.openpty()
    child = subprocess.Popen(
        command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        return child.wait(timeout=30), output.decode("utf-8", "replace")
    finally:
        os.close(controller)
        if child.poll() is None:
            child.kill()


def test_bars_on_a_terminal_and_plain_lines_in_a_log(tmp_path: Path) -> None:
    write_sample(tmp_path / "s", seed=5, passports=400, layers=3)
    export = tmp_path / "s" / "export.json"
    with embedded_home() as home:
        env = strata_env(home)
        seeded = subprocess.run(
            strata("seed", str(tmp_path / "s" / "reference")),
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr

        code, screen = run_on_a_terminal(strata("register", str(export)), env)
        assert code == 0, screen
        assert "\x1b[?25l" in screen  # rich's live display took the terminal (it hides the cursor)
        text = ESCAPE.sub("", screen)
        assert re.search(r"✓ archive export\.json: [\d.]+ of [\d.]+ MB \(100 %\)", text), text
        assert re.search(r"✓ split export\.json: [\d.]+ of [\d.]+ MB \(100 %\), .*3 layers spooled", text), (
            text
        )
        assert "registered export.json as file 1" in text

        piped = subprocess.run(
            strata("load", str(export)),
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEADLINE_SECONDS,
        )
    assert piped.returncode == 0, piped.stderr
    assert "\x1b[" not in piped.stderr and "━" not in piped.stderr  # no bar drawn into a log
    lines = piped.stderr.splitlines()
    for version in ("2026-01", "2026-02", "2026-03"):  # validations ran in a worker process: relayed
        for stage, unit in (("validate", "reports"), ("load", "steps")):
            pattern = rf"^{stage} layer {version}: [\d,]+ of [\d,]+ {unit} \(100 %\), .*\(done in [\d.]+ s\)$"
            assert any(re.match(pattern, line) for line in lines), (pattern, piped.stderr)
    assert not any(" 0 of " in line for line in lines)  # a log gets no 0 % openings
    assert "loaded through 2026-03" in piped.stdout and "(100 %)" not in piped.stdout


def test_the_bar_is_drawn_on_a_forced_terminal() -> None:
    screen = io.StringIO()
    with terminal_progress(screen, force_terminal=True) as view:
        now = [100.0]
        meter = Progress(view, clock=lambda: now[0]).meter("validate", "layer 2026-03", 300_000, "reports")
        now[0] += 2.0
        meter.update(120_000)
        assert isinstance(view.sink, BarView)  # a terminal gets bars
        view.sink.bars.refresh()
        meter.finish("0 analyst errors")
    text = ESCAPE.sub("", screen.getvalue())
    assert re.search(r"validate layer 2026-03 ━+.* 40%", text), text
    assert "40% -:--:-- 120,000 of 300,000" in text
    assert "✓ validate layer 2026-03: 300,000 of 300,000 reports (100 %)" in text
