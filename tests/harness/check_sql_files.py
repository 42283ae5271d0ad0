"""Parse generated SQL files with sqlglot, each in its dialect.

argv[1]: a folder holding <dialect>/ subfolders of generated files; every
*.sql under them is parsed with the dialect of its subfolder (sqlglot's
name, "ansi" = the generic dialect). BTEQ control lines (a line starting
with ".") are removed first: they are checked by the project's own test.
An exp.Command (sqlglot's "I did not understand this") is a failure.
Output (stdout): {"files": n, "statements": n, "failures": {path: error}}."""
import json
import pathlib
import sys

import sqlglot
from sqlglot import exp

NAMES = {"teradata": "teradata", "postgres": "postgres", "oracle": "oracle",
         "sqlserver": "tsql", "ansi": None}


def main():
    root = pathlib.Path(sys.argv[1])
    failures = {}
    files = statements = 0
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        dialect = NAMES[sub.name]
        for path in sorted(sub.rglob("*.sql")):
            files += 1
            text = path.read_text()
            if sub.name == "teradata":
                text = "\n".join(
                    "" if line.lstrip().startswith(".") else line
                    for line in text.splitlines())
            try:
                trees = [t for t in sqlglot.parse(text, read=dialect) if t is not None]
                statements += len(trees)
                bad = [t for t in trees if isinstance(t, exp.Command) or t.find(exp.Command)]
                if bad:
                    failures[str(path.relative_to(root))] = "not understood: " + bad[0].sql()[:200]
            except Exception as e:  # noqa: BLE001
                failures[str(path.relative_to(root))] = type(e).__name__ + ": " + str(e)[:300]
    json.dump({"files": files, "statements": statements, "failures": failures}, sys.stdout)


if __name__ == "__main__":
    main()
