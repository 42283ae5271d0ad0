"""Parse generated SQL with sqlglot, each statement in its dialect.

Input (argv[1]): [{"id", "dialect" (sqlglot name or null), "sql"}].
Output (stdout): {id: error message} for each statement that fails; an
exp.Command (sqlglot's "I did not understand this") counts as a failure."""
import json
import sys

import sqlglot
from sqlglot import exp


def main():
    items = json.load(open(sys.argv[1]))
    failures = {}
    for item in items:
        try:
            trees = sqlglot.parse(item["sql"], read=item["dialect"])
            if not trees or any(t is None or isinstance(t, exp.Command) for t in trees):
                failures[item["id"]] = "not understood (Command)"
            elif any(t.find(exp.Command) for t in trees):
                failures[item["id"]] = "contains an unparsed Command"
        except Exception as e:  # noqa: BLE001
            failures[item["id"]] = type(e).__name__ + ": " + str(e).splitlines()[0]
    json.dump(failures, sys.stdout)


if __name__ == "__main__":
    main()
