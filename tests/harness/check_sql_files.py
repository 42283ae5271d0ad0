"""Parse generated SQL files with sqlglot, each in its dialect.

argv[1]: a folder holding <dialect>/ subfolders of generated files; every
*.sql under them is parsed with the dialect of its subfolder (sqlglot's
name, "ansi" = the generic dialect). BTEQ control lines (a line starting
with ".") are removed first: they are checked by the project's own test.
An exp.Command (sqlglot's "I did not understand this") is a failure.
Output (stdout): {"files": n, "statements": n, "failures": {path: error},
"per_file": {path: [statements, stops, params]}} (stops: the failing
statements dsmig puts where a job cannot run as generated, `... AS
dsmig_stop`; params: Teradata's volatile table of the job parameters, made
only when a statement reads one)."""
import json
import pathlib
import sys

import sqlglot
from sqlglot import exp

NAMES = {"teradata": "teradata", "postgres": "postgres", "oracle": "oracle",
         "sqlserver": "tsql", "ansi": None}


def created(tree):
    """The name of the table a CREATE makes, else None."""
    if not isinstance(tree, exp.Create):
        return None
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    return target.name if isinstance(target, exp.Table) else None


def main():
    root = pathlib.Path(sys.argv[1])
    failures = {}
    per_file = {}
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
                stops = sum(1 for t in trees
                            if any(a.alias == "dsmig_stop" for a in t.find_all(exp.Alias)))
                params = sum(1 for t in trees if created(t) == "dsmig_params")
                per_file[str(path.relative_to(root))] = [len(trees), stops, params]
                bad = [t for t in trees if isinstance(t, exp.Command) or t.find(exp.Command)]
                if bad:
                    failures[str(path.relative_to(root))] = "not understood: " + bad[0].sql()[:200]
            except Exception as e:  # noqa: BLE001
                failures[str(path.relative_to(root))] = type(e).__name__ + ": " + str(e)[:300]
    json.dump({"files": files, "statements": statements, "failures": failures,
               "per_file": per_file}, sys.stdout)


if __name__ == "__main__":
    main()
