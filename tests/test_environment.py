"""environment.yml (JupyterLab users) and pyproject.toml (pip users) must ask for the same packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _environment():
    conda, pip = [], []
    section = None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("dependencies:"):
            section = "conda"
        elif stripped.startswith("- pip:"):
            section = "pip"
        elif stripped.startswith("- ") and section:
            (pip if section == "pip" and line.startswith("      ") else conda).append(stripped[2:])
    return conda, pip


def test_every_package_dependency_is_in_environment_yml():
    conda, pip = _environment()
    in_env = {_name(r) for r in conda + pip if not r.startswith("-e")}
    project = _pyproject()
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    assert wanted - in_env == set(), f"missing from environment.yml: {sorted(wanted - in_env)}"
    extra = in_env - wanted - {"python", "pip"}
    assert extra == set(), f"in environment.yml but not in pyproject.toml: {sorted(extra)}"


def test_torch_pins_agree_with_constraints():
    _, pip = _environment()
    pins = {_name(r): r for r in pip if "==" in r}
    constraints = {
        _name(line): line.strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert pins == constraints


def test_environment_installs_this_package():
    _, pip = _environment()
    assert "-e ." in pip
