"""Evaluate PostgreSQL translations on the server of $DSMIG_PG.

Same input as run_pyspark.py (cases carry "sql"); the rows go into a
temporary table named "in" (the link alias the translations use).
Output (stdout): {id: [kind, text] | ["error", message]}."""
import json
import os
import sys

import psycopg

from normalise import normalise, parse_input


def main():
    spec = json.load(open(sys.argv[1]))
    cols = spec["columns"]
    out = {}
    with psycopg.connect(os.environ["DSMIG_PG"], autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SET TIME ZONE 'UTC'")
        cur.execute("SET DateStyle = 'ISO, YMD'")
        cur.execute("SET extra_float_digits = 1")
        coldefs = ", ".join('"%s" %s' % (c[0], c[2]) for c in cols)
        cur.execute('CREATE TEMP TABLE "in" ("ROWKEY" TEXT, %s)' % coldefs)
        for key, cells in sorted(spec["rows"].items()):
            values = [key] + [parse_input(c[1], cell) for c, cell in zip(cols, cells)]
            marks = ", ".join(["%s"] * len(values))
            cur.execute('INSERT INTO "in" VALUES (%s)' % marks, values)
        for case in spec["cases"]:
            key = case["row"].replace("'", "''")
            query = 'SELECT %s AS x FROM "in" WHERE "ROWKEY" = \'%s\'' % (case["sql"], key)
            try:
                # No parameters: a '%' in the generated SQL is not a placeholder.
                cur.execute(query.encode())
                out[case["id"]] = normalise(cur.fetchone()[0])
            except Exception as e:  # noqa: BLE001
                out[case["id"]] = ["error", type(e).__name__ + ": " + str(e).splitlines()[0]]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
