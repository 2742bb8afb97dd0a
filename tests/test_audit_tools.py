"""`make audit` never reports a clean result it did not check (scripts/audit.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType


def _audit_script() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "scripts" / "audit.py"
    spec = importlib.util.spec_from_file_location("audit_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


judge = _audit_script().judge_pip_audit


def test_unreachable_vulnerability_data_is_not_a_clean_result() -> None:
    code, lines = judge({"dependencies": [
        {"name": "flask", "version": "3.1.3", "vulns": []},
        {"name": "werkzeug", "skip_reason": "Dependency not found on PyPI and could not be audited: werkzeug (3.1.9)"},
    ]})
    assert code == 2
    assert "could NOT check 1 of 2 packages" in lines[0] and "werkzeug" in lines[0]


def test_an_empty_report_is_not_a_clean_result() -> None:
    assert judge({"dependencies": []})[0] == 2


def test_a_known_vulnerability_fails_and_names_the_fix() -> None:
    code, lines = judge({"dependencies": [
        {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]},
    ]})
    assert code == 1 and "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in lines[0]


def test_every_package_checked_and_clean_passes() -> None:
    code, lines = judge({"dependencies": [{"name": "flask", "version": "3.1.3", "vulns": []}]})
    assert code == 0 and "1 packages checked" in lines[0]
