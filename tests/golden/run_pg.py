"""Run the generated PostgreSQL jobs of the golden cases on the server of
$DSMIG_PG, with the generated files only, in the documented run order:
ddl/dsmig_job_params.sql and ddl/<job>.sql, `load/<job>.sh load`,
sql/<job>.sql, then `load/<job>.sh unload`. Every step is psql, as the
generated files are written for it. Each case runs in its own schema
(PGOPTIONS search_path), dropped first and after.

argv[1]: JSON [{"case", "stem", "job", "dir", "out", "params": {name: value}}]
stdout (last line): JSON {case: {"error": text} | {"ok": true}}"""
import json
import os
import subprocess
import sys


def pg_env():
    env = dict(os.environ)
    keys = {"host": "PGHOST", "port": "PGPORT", "user": "PGUSER", "dbname": "PGDATABASE", "password": "PGPASSWORD"}
    for part in os.environ["DSMIG_PG"].split():
        k, _, v = part.partition("=")
        if k in keys:
            env[keys[k]] = v
    return env


def psql(env, *args):
    r = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *args], env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError((r.stderr or r.stdout).strip()[:400])


def run_case(c, base):
    schema = "golden_" + c["case"]
    psql(base, "-c", "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s" % (schema, schema))
    env = dict(base)
    env["PGOPTIONS"] = "-c search_path=%s -c TimeZone=UTC -c DateStyle=ISO,YMD" % schema
    env["DIR"] = c["dir"]
    for k, v in c["params"].items():
        env[k] = v
    out = c["out"]
    psql(env, "-f", os.path.join(out, "ddl", "dsmig_job_params.sql"))
    psql(env, "-f", os.path.join(out, "ddl", c["stem"] + ".sql"))
    for k, v in c["params"].items():
        psql(env, "-c", "INSERT INTO dsmig_job_params VALUES ('%s', '%s', '%s')" % (c["job"], k, v))
    # The generated load script as written: its `load` phase before the
    # job's SQL, its `unload` phase after it.
    script = os.path.join(out, "load", c["stem"] + ".sh")
    for phase in ("load", None, "unload"):
        if phase is None:
            psql(env, "-f", os.path.join(out, "sql", c["stem"] + ".sql"))
            continue
        r = subprocess.run(["sh", script, phase], env=env, capture_output=True, text=True, cwd=out)
        if r.returncode != 0:
            raise RuntimeError("load/%s.sh %s: %s" % (c["stem"], phase, (r.stderr or r.stdout).strip()[:400]))


def main():
    cases = json.load(open(sys.argv[1]))
    base = pg_env()
    res = {}
    for c in cases:
        try:
            run_case(c, base)
            res[c["case"]] = {"ok": True}
        except Exception as e:  # noqa: BLE001 - report every failure, keep going
            res[c["case"]] = {"error": str(e).replace("\n", " ")[:500]}
        finally:
            # The written files are all that is compared: leave no schema behind.
            try:
                psql(base, "-c", "DROP SCHEMA IF EXISTS golden_%s CASCADE" % c["case"])
            except RuntimeError:
                pass
    print(json.dumps(res))


if __name__ == "__main__":
    main()
