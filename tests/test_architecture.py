"""The shape of the code holds: the import contracts in setup.cfg (import-linter), and the faces
(api/, web/) never touch the database session; the domain owns the transaction
(logeer/transaction.py commits once per request)."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACES = ("api", "web")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """Run import-linter's command on the package found first on the path from ``cwd``."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert command, "lint-imports is missing: it comes with the dev extra (import-linter)"
    return subprocess.run([command, "setup.cfg", "--no-cache"], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(cwd)}, timeout=300)


def test_the_import_contracts_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_view_that_imports_db_breaks_the_contract(tmp_path):
    """The contract can fail: a copy of the package in which a page imports db is refused."""
    shutil.copytree(ROOT / "logeer", tmp_path / "logeer", ignore=shutil.ignore_patterns("__pycache__", "static",
                                                                                       "translations"))
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    view = tmp_path / "logeer" / "web" / "referrer.py"
    view.write_text(view.read_text() + "\nfrom ..extensions import db  # noqa: E402 - the broken import\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "faces-without-session" in result.stdout or "never import db" in result.stdout, result.stdout
    assert "logeer.web.referrer -> logeer.extensions" in result.stdout, result.stdout


def _session_uses(path: Path, base: Path = ROOT) -> list[str]:
    """Where a module touches ``db`` (imports it, or reads ``db.session``/``db.engine``)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(alias.name == "db" for alias in node.names):
            found.append(f"{path.relative_to(base)}:{node.lineno} imports db")
        elif isinstance(node, ast.Attribute) and node.attr in ("session", "engine") \
                and isinstance(node.value, ast.Name) and node.value.id == "db":
            found.append(f"{path.relative_to(base)}:{node.lineno} db.{node.attr}")
    return found


@pytest.mark.parametrize("face", FACES)
def test_no_page_or_endpoint_touches_the_session(face):
    uses = [use for path in sorted((ROOT / "logeer" / face).rglob("*.py")) for use in _session_uses(path)]
    assert uses == []


def test_the_scan_sees_a_session_call(tmp_path):
    """The scan above can fail: it finds db.session in a module."""
    module = tmp_path / "view.py"
    module.write_text("from ..extensions import db\n\ndef view():\n    db.session.commit()\n")
    assert _session_uses(module, base=tmp_path) == ["view.py:1 imports db", "view.py:4 db.session"]
