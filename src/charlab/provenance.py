"""How to say where and how long a result was produced: shared by run summaries and the notebook stamps."""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

import torch


def cpu_name() -> str:
    """The CPU model as the OS reports it, e.g. 'Intel(R) Xeon(R) CPU @ 2.20GHz'."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_has_fast_bf16() -> bool:
    """Whether the CPU multiplies bf16 matrices in hardware (AVX512-BF16 or AMX, x86 Linux): about twice an fp32
    matmul's speed there, while elsewhere bf16 is emulated and slower than fp32."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return "avx512_bf16" in flags or "amx_bf16" in flags


def gpu_name() -> str | None:
    """The CUDA device name if torch sees one, else None."""
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def device_description(device: torch.device | str) -> str:
    device = torch.device(device)
    if device.type == "cuda":
        return f"GPU {torch.cuda.get_device_name(device)}"
    n = torch.get_num_threads()
    return f"CPU {cpu_name()} ({n} thread{'s' if n != 1 else ''})"


def format_duration(seconds: float) -> str:
    """'7 min 12 s', '42 s', '1 h 03 min'."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def git_state(repo: Path, paths: Sequence[str] = ()) -> tuple[str | None, bool]:
    """(commit, dirty) of the git checkout at `repo`, where dirty means uncommitted changes to tracked files under
    `paths` (all of them when empty); (None, False) outside a checkout or without git. The one git helper: the
    page stamps and the results runner both say what code produced them with it."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=20)
        return done.stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", *paths))
    except (OSError, subprocess.SubprocessError):
        return None, False
    return commit, dirty
