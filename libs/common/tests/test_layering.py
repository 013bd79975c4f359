"""SQL that differs between SQLite and PostgreSQL lives in csq_common.sql only; every commit goes
through csq_common.db.transaction; no code reads private attributes of SQLAlchemy or ddsketch."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [*ROOT.joinpath("libs/common/src").rglob("*.py"), *ROOT.glob("services/*/src/**/*.py")]
SQL_LAYER = ROOT / "libs/common/src/csq_common/sql"
#: Engine and migration set-up, which is per database by nature.
SET_UP = {
    "libs/common/src/csq_common/db.py": ("is_sqlite", 'url.startswith("sqlite")', 'dialect.name == "sqlite"'),
    "libs/common/src/csq_common/bus/migration.py": ('dialect.name == "sqlite"',),
}
DIALECT_BRANCH = re.compile(r"dialect\.name|dialects\.(postgresql|sqlite)|is_sqlite\(|startswith\(\"(sqlite|postgres)")
# attribute access like ``obj._name`` on anything but self/cls (``row._mapping`` and a namedtuple's
# ``_replace`` are public API despite the underscore)
PRIVATE_ACCESS = re.compile(r"(?<![\w.])(?!self\b|cls\b)(\w+(?:\.\w+)*)\._(?!_|mapping\b|replace\b|asdict\b|fields\b)[a-z]\w*")


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_only_the_sql_layer_branches_on_the_database():
    offenders = []
    for path in SOURCES:
        if SQL_LAYER in path.parents:
            continue
        allowed = SET_UP.get(_relative(path), ())
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if DIALECT_BRANCH.search(line) and not any(fragment in line for fragment in allowed):
                offenders.append(f"{_relative(path)}:{number}: {line.strip()}")
    assert offenders == []


def test_no_private_attributes_of_other_objects_are_read():
    offenders = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if PRIVATE_ACCESS.search(code):
                offenders.append(f"{_relative(path)}:{number}: {line.strip()}")
    assert offenders == []


#: The helper itself, and alembic's own connection.
COMMITS_ELSEWHERE = {
    "libs/common/src/csq_common/db.py",
    "libs/common/src/csq_common/bus/migration.py",
}


def test_every_commit_point_uses_the_transaction_helper():
    offenders = []
    for path in SOURCES:
        if _relative(path) in COMMITS_ELSEWHERE:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ".commit()" in line:
                offenders.append(f"{_relative(path)}:{number}: {line.strip()}")
    assert offenders == []
