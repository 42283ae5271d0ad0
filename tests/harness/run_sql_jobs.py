"""Run generated PostgreSQL jobs on the server of $DSMIG_PG, one
transaction per job, rolled back at the end (DDL included).

argv[1]: [{"id", "schemas": [..], "control": sql, "ddl": sql,
           "sources": [{"table", "columns": [[name, type]], "rows": [[text|null]]}],
           "params": [[name, value]], "job_name", "script": sql,
           "targets": [{"table", "columns": [name]}], "checks": sql}]
Output (stdout): {id: {"error": msg} | {"targets": {table: [[[kind, text]]]},
                       "checks": [[statement, rows]]}}."""
import json
import os
import sys

import psycopg

from normalise import normalise


def run_job(conn, job):
    cur = conn.cursor()
    for s in job["schemas"]:
        cur.execute('CREATE SCHEMA IF NOT EXISTS %s' % s)
    cur.execute(job["control"].encode())
    cur.execute(job["ddl"].encode())
    for src in job["sources"]:
        cols = ", ".join('"%s"' % c[0].replace('"', '""') for c in src["columns"])
        marks = ", ".join("CAST(%%s AS %s)" % c[1] for c in src["columns"])
        for row in src["rows"]:
            cur.execute("INSERT INTO %s (%s) VALUES (%s)" % (src["table"], cols, marks), row)
    for name, value in job["params"]:
        cur.execute("INSERT INTO dsmig_job_params (job_name, param_name, param_value) VALUES (%s, %s, %s)",
                    (job["job_name"], name, value))
    # No parameters: a '%' in the generated SQL is not a placeholder.
    cur.execute(job["script"].encode())
    out = {"targets": {}, "checks": []}
    for t in job["targets"]:
        cols = ", ".join('"%s"' % c.replace('"', '""') for c in t["columns"])
        cur.execute("SELECT %s FROM %s" % (cols, t["table"]))
        out["targets"][t["table"]] = [[normalise(v) for v in r] for r in cur.fetchall()]
    for stmt in split(job["checks"]):
        cur.execute(stmt.encode())
        rows = cur.fetchall() if cur.description else []
        out["checks"].append([stmt.strip().splitlines()[-1][:200], [[normalise(v) for v in r] for r in rows]])
    return out


def split(sql):
    """Statements of a generated file (';' at line end, outside comments)."""
    stmts, cur = [], []
    for line in sql.splitlines():
        if line.lstrip().startswith("--") and not cur:
            continue
        cur.append(line)
        if line.rstrip().endswith(";"):
            stmts.append("\n".join(cur))
            cur = []
    return [s for s in stmts if s.strip()]


def main():
    jobs = json.load(open(sys.argv[1]))
    out = {}
    with psycopg.connect(os.environ["DSMIG_PG"]) as conn:
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SET DateStyle = 'ISO, YMD'")
            cur.execute("SET extra_float_digits = 1")
        conn.commit()
        for job in jobs:
            try:
                out[job["id"]] = run_job(conn, job)
            except Exception as e:  # noqa: BLE001
                out[job["id"]] = {"error": type(e).__name__ + ": " + str(e).strip()[:600]}
            conn.rollback()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
