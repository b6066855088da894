"""The deploy workflow is valid (GitHub's workflow schema, vendored in check-jsonschema: offline) and runs the
README's own test command, so CI on GitHub and `.ci/run` here check the same things."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "book.yml"
CHECK = [str(Path(sys.executable).with_name("check-jsonschema")), "--builtin-schema", "vendor.github-workflows"]


def _readme_command(heading: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(heading):]
    return re.search(r"```bash\n(.+?)\n```", section, re.S).group(1).strip()


def test_the_workflow_is_valid_and_a_broken_one_is_caught(tmp_path):
    ok = subprocess.run([*CHECK, str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    broken = tmp_path / "broken.yml"
    shutil.copy(WORKFLOW, broken)
    broken.write_text(broken.read_text().replace("runs-on: ubuntu-24.04", "runs_on: ubuntu-24.04", 1))
    bad = subprocess.run([*CHECK, str(broken)], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and "runs_on" in bad.stdout + bad.stderr


def test_the_workflow_runs_the_readmes_test_command_and_publishes_only_from_main():
    test_command = _readme_command("Run the tests")
    assert test_command == "./scripts/setup.sh && ./scripts/test.sh"
    assert test_command in (REPO / ".ci" / "run").read_text()
    wf = yaml.safe_load(WORKFLOW.read_text())
    steps = wf["jobs"]["test"]["steps"]
    assert [s.get("run") for s in steps if "run" in s] == [test_command]  # no second list of dependencies
    upload = next(s for s in steps if "upload-pages-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "_build/html" and "refs/heads/main" in upload["if"]
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "test" and "refs/heads/main" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert wf["permissions"] == {"contents": "read"}
