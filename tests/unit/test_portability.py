"""A Windows or container laptop can follow along: no POSIX-only call on the learner's paths, `make lab` as root.

The learner's paths (run, lab, ui, predict, serve, sweep with the local pool) go through workbook's modules;
locks are filelock's (the same on every OS) and the POSIX-only signals and calls are looked up or guarded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from workbook import sweep, tracking
from workbook.paths import PROJECT_ROOT

LIB = PROJECT_ROOT / "lib" / "workbook"


def _sources() -> dict[str, str]:
    return {str(path.relative_to(LIB)): path.read_text(encoding="utf-8") for path in LIB.rglob("*.py")}


def test_no_module_locks_with_fcntl_or_msvcrt():
    imports = re.compile(r"^\s*(import|from)\s+(fcntl|msvcrt)\b", re.M)
    found = [name for name, text in _sources().items() if imports.search(text)]
    assert found == []


# Modules that only ever run on POSIX: each is switched on by a check that is False on Windows (tested below).
POSIX_ONLY = {"execution/forked.py"}


def test_signals_windows_lacks_are_looked_up_never_named_directly():
    # signal.SIGHUP / SIGKILL / SIGQUIT raise AttributeError on Windows; os.killpg and os.setsid do not exist there.
    pattern = re.compile(r"signal\.(SIGHUP|SIGKILL|SIGQUIT|SIGUSR1|SIGUSR2)\b|os\.(setsid|getpgid|fork)\(")
    found = [f"{name}: {match.group(0)}" for name, text in _sources().items() for match in pattern.finditer(text)
             if name not in POSIX_ONLY]
    assert found == []
    serving = (LIB / "serving" / "process.py").read_text()
    guarded = serving.split("def _signal_group", 1)[1].split("\ndef ", 1)[0]
    assert 'if os.name == "nt"' in guarded and "os.killpg" in guarded  # the one killpg, behind the check
    assert sum(text.count("os.killpg") for text in _sources().values()) == 1


def test_the_posix_only_modules_stay_off_on_windows(monkeypatch):
    from workbook.execution import forked

    monkeypatch.setenv(forked.SWITCH, "1")
    monkeypatch.setattr(sys, "platform", "win32")
    assert not forked.enabled()


def test_the_sweep_lock_refuses_a_second_sweep_and_the_store_lock_serialises(tmp_path):
    with sweep.sweep_lock(tmp_path), pytest.raises(sweep.SweepError, match="in use by another sweep"):
        with sweep.sweep_lock(tmp_path):
            pass
    with sweep.sweep_lock(tmp_path):  # released: the folder is free again
        pass
    with tracking.file_lock(tmp_path / "store.lock"):
        assert (tmp_path / "store.lock").exists()


@pytest.mark.skipif(shutil.which("make") is None or os.name == "nt", reason="needs make and id(1)")
def test_make_lab_passes_allow_root_only_when_running_as_root():
    done = subprocess.run(["make", "-s", "-n", "lab"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    [command] = [line for line in done.stdout.splitlines() if "jupyter lab" in line]
    assert command.split()[-1] == "--allow-root" if os.geteuid() == 0 else "--allow-root" not in command


@pytest.mark.skipif(shutil.which("make") is None or os.name == "nt", reason="needs make")
def test_a_changed_kernel_spec_makes_make_setup_run_again():
    """A checkout's kernel spec follows setup_env.py (MALLOC_REUSE, the display name): make remakes its stamp."""
    changed = subprocess.run(["make", "-s", "-n", "-W", "lib/workbook/setup_env.py", "setup"], cwd=PROJECT_ROOT,
                             capture_output=True, text=True, check=True)
    assert "workbook setup" in changed.stdout
