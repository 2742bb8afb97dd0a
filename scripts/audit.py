"""`make audit`: bandit over the package and pip-audit over the pinned requirements.

Exits 0 only when both were really checked and found nothing to act on:
- bandit: any finding of medium or high severity that is not reviewed (a `# nosec BXXX` with the
  reason beside it) fails; low findings are listed for reading.
- pip-audit: a known vulnerability fails (exit 1). When pip-audit could not reach its
  vulnerability data for a package (no network to it, a mirror without the JSON API), that is NOT
  a clean result: it says which packages went unchecked and exits 2.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_bandit() -> int:
    print("bandit: pipcompanion/ (medium and high severity fail)")
    result = subprocess.run([str(BIN / "bandit"), "-q", "-r", "pipcompanion", "--severity-level", "medium"],
                            cwd=ROOT, check=False)
    print("bandit: nothing of medium or high severity" if result.returncode == 0 else "bandit: see the findings above")
    return result.returncode


def run_pip_audit() -> int:
    print("pip-audit: requirements.txt")
    result = subprocess.run(
        [str(BIN / "pip-audit"), "-r", "requirements.txt", "--progress-spinner", "off", "--format", "json"],
        cwd=ROOT, check=False, capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(result.stderr.strip() or result.stdout.strip())
        print("pip-audit: did not run to the end; nothing was checked")
        return 2
    code, lines = judge_pip_audit(report)
    print("\n".join(lines))
    return code


def judge_pip_audit(report: dict[str, Any]) -> tuple[int, list[str]]:
    """pip-audit's JSON report -> (exit code, what to print): 1 for a known vulnerability, 2 when any
    package went unchecked (its vulnerability data was out of reach), 0 only for a real clean result."""
    dependencies = report.get("dependencies", [])
    unchecked = [dep for dep in dependencies if "skip_reason" in dep]
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    lines = [f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions') or ['?'])})"
             for dep in vulnerable for vuln in dep["vulns"]]
    if vulnerable:
        return 1, [*lines, f"pip-audit: {len(vulnerable)} package(s) with known vulnerabilities"]
    if unchecked or not dependencies:
        names = ", ".join(sorted(dep["name"] for dep in unchecked)) or "all"
        reason = unchecked[0]["skip_reason"] if unchecked else "no packages in the report"
        return 2, [f"pip-audit: could NOT check {len(unchecked) or 'any'} of {len(dependencies)} packages: their "
                   f"vulnerability data was not reachable from here ({reason}). This is not a clean result: "
                   f"run `make audit` where PyPI's JSON API or OSV can be reached. Unchecked: {names}"]
    return 0, [f"pip-audit: {len(dependencies)} packages checked, no known vulnerabilities"]


def main() -> int:
    bandit = run_bandit()
    audit = run_pip_audit()
    return max(bandit, audit)


if __name__ == "__main__":
    sys.exit(main())
