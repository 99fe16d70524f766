"""qa_engine/domain stays pure: no web framework, ORM or PDF engine inside it."""
import ast
from pathlib import Path

import qa_engine.domain

FORBIDDEN = {"flask", "werkzeug", "sqlalchemy", "weasyprint", "flask_login", "flask_wtf", "wtforms"}
DOMAIN = Path(qa_engine.domain.__file__).parent


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_import_no_framework() -> None:
    offenders = {
        str(path.relative_to(DOMAIN)): sorted(imported_roots(path) & FORBIDDEN)
        for path in sorted(DOMAIN.rglob("*.py"))
        if imported_roots(path) & FORBIDDEN
    }
    assert offenders == {}


def test_purity_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from sqlalchemy import select\nimport flask.json\n")
    assert imported_roots(module) & FORBIDDEN == {"sqlalchemy", "flask"}
