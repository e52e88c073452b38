"""docs/security.md cannot go stale: it lists every permission with its roles."""

from __future__ import annotations

from pathlib import Path

from promptyard.domain.actor import PERMISSIONS, ROLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_every_permission_and_its_roles_are_documented() -> None:
    rows = {
        line.split("|")[1].strip().strip("`"): [cell.strip() for cell in line.split("|")[2:-1]]
        for line in DOC.read_text().splitlines()
        if line.startswith("| `")
    }
    for permission, roles in PERMISSIONS.items():
        assert permission in rows, f"{permission} missing from docs/security.md"
        assert rows[permission] == ["yes" if role in roles else "" for role in ROLES], permission
