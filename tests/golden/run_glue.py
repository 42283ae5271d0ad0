"""Run the generated Glue jobs of the golden cases on local Spark, through
their own main(): Glue arguments, the awsglue stand-in's file readers,
the job's writers. One SparkSession for every case.

argv[1]: JSON [{"case", "script", "job", "dir", "params": {name: value}}]
stdout (last line): JSON {case: {"error": text} | {"ok": true}}
The written files stay under each case's "dir" for the caller to read."""
import contextlib
import importlib.util
import io
import json
import sys


def main():
    cases = json.load(open(sys.argv[1]))
    glue_dirs = {c["glue_root"] for c in cases}
    for d in glue_dirs:
        sys.path.insert(0, d)  # awsglue stand-in (tests/awsglue)
    from pyspark.sql import SparkSession

    (SparkSession.builder.master("local[2]")
     .config("spark.ui.enabled", "false")
     .config("spark.sql.shuffle.partitions", "2")
     .config("spark.default.parallelism", "2")
     .getOrCreate())
    out = {}
    for c in cases:
        spec = importlib.util.spec_from_file_location("golden_" + c["case"], c["script"])
        argv = ["glue_job", "--JOB_NAME", c["job"], "--DSMIG_DATA_ROOT", "/", "--DIR", c["dir"]]
        for k, v in c["params"].items():
            argv += ["--" + k, v]
        saved = sys.argv
        sys.argv = argv
        log = io.StringIO()
        try:
            with contextlib.redirect_stdout(log):
                mod = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(mod)
                mod.main()
            out[c["case"]] = {"ok": True}
        except BaseException as e:  # noqa: BLE001 - report every failure, keep going
            first = (str(e).strip().splitlines() or [""])[0]
            out[c["case"]] = {"error": ("%s: %s" % (type(e).__name__, first))[:400]}
        finally:
            sys.argv = saved
    print(json.dumps(out))


if __name__ == "__main__":
    main()
