"""The import rules of pyproject.toml ([tool.importlinter]) hold, and break when someone breaks them.

Each case copies the package, adds one forbidden import and runs `lint-imports` on the copy: the contract that
the import violates must be reported broken, so the rules are known to bite, not only to pass.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

REPO = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def _lint(src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(REPO / "pyproject.toml"), "--no-cache"], cwd=src.parent,
                          env=env, capture_output=True, text=True, timeout=120)


WINGS = ("charlab.analysis", "charlab.chapters", "charlab.scratch")  # everything else is core
CORE = next(c for c in CONTRACTS if c["name"].startswith("The core"))


def uncovered_modules(package: Path) -> list[str]:
    """Modules and packages directly under `package` that are neither in the core contract nor a wing."""
    names = {f"charlab.{p.stem}" for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")}
    names |= {f"charlab.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    return sorted(names - set(CORE["source_modules"]) - set(WINGS))


def test_every_module_is_in_a_contract():
    assert uncovered_modules(REPO / "src" / "charlab") == []
    assert set(CORE["forbidden_modules"]) == set(WINGS)


def test_a_new_module_cannot_escape_the_rules(tmp_path):
    shutil.copytree(REPO / "src" / "charlab", tmp_path / "charlab")
    (tmp_path / "charlab" / "newthing.py").write_text("import charlab.chapters.ch02_paul_graham\n")
    (tmp_path / "charlab" / "newpkg").mkdir()
    (tmp_path / "charlab" / "newpkg" / "__init__.py").write_text("")
    assert uncovered_modules(tmp_path / "charlab") == ["charlab.newpkg", "charlab.newthing"]


def test_the_package_keeps_every_contract(tmp_path):
    shutil.copytree(REPO / "src" / "charlab", tmp_path / "src" / "charlab")
    result = _lint(tmp_path / "src")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("analysis/textstats.py", "import torch", "never import torch"),
    ("scratch/minchar.py", "import torch", "never import torch"),
    ("cli.py", "import charlab.chapters.ch02_paul_graham", "The core"),  # a module no chapter reaches
    ("evaluate.py", "from charlab.analysis import textstats", "The core"),
    ("chapters/ch04_names.py", "from charlab.chapters import ch05_evolution", "another chapter module"),
    ("threads.py", "from charlab.scratch import minchar", "The core"),
    ("runs.py", "from charlab.analysis import ngram", "The core"),
    ("analysis/ngram.py", "import charlab.chapters", "(scratch) import no chapter glue"),
    ("scratch/hello.py", "import charlab.chapters.ch01_rnns_from_scratch", "(scratch) import no chapter glue"),
])
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, broken):
    shutil.copytree(REPO / "src" / "charlab", tmp_path / "src" / "charlab")
    path = tmp_path / "src" / "charlab" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    result = _lint(tmp_path / "src")
    assert result.returncode != 0
    report = " ".join(result.stdout.split())  # lint-imports wraps long contract names
    (name,) = [c["name"] for c in CONTRACTS if broken in c["name"]]
    assert f"{name} BROKEN" in report and "1 broken" in report, result.stdout


def test_the_contributors_map_names_every_module():
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    package = REPO / "src" / "charlab"
    missing = [str(p.relative_to(package)) for p in sorted(package.rglob("*.py"))
               if p.stem not in ("__init__", "__main__", "_assets") and f"`{p.stem}`" not in text
               and f"`{p.stem}/`" not in text]
    assert missing == [], f"CONTRIBUTING.md's map does not name {missing}"
