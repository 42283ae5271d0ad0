"""1-million-row reconciliation on local Spark (issue 20; figures in
benches/README.md).

argv[1]: the Glue output folder of tests/fixtures/reconcile/r_reconcile.dsx
(`dsmig build tests/fixtures/reconcile/r_reconcile.dsx --no-llm
--output-dir OUT`); argv[2]: a work folder; argv[3]: rows (default 1e6).
Writes the keyed target (ID, NAME, AMT, DT) for both sides, the migrated
side with 10 changed values, 5 missing and 5 extra rows and shuffled
order (and the other two targets small), then times reconcile's main()
and reports the wall time and the peak RSS of this process and of the
JVM (VmHWM from /proc).
"""
import importlib.util
import json
import os
import resource
import sys
import time


def jvm_peak_mb(spark):
    """VmHWM (peak resident set) of the Spark JVM, from /proc."""
    try:
        pid = spark.sparkContext._gateway.proc.pid
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except Exception:  # not Linux, or no child JVM
        return None


def main():
    out_dir, work = sys.argv[1], sys.argv[2]
    n = int(float(sys.argv[3])) if len(sys.argv) > 3 else 1_000_000
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    base = spark.range(1, n + 1).select(
        F.col("id").cast("int").alias("ID"),
        F.concat(F.lit("name_"), F.col("id").cast("string")).alias("NAME"),
        (F.col("id") * F.lit(0.25)).alias("AMT"),
        F.date_add(F.lit("2024-01-01").cast("date"), (F.col("id") % 365).cast("int")).alias("DT"),
    )

    def lines(df):
        return df.select(F.concat_ws(",", *[F.col(c).cast("string") for c in df.columns]).alias("value"))

    migrated = (
        base.filter("ID > 5")
        .withColumn("NAME", F.when(F.col("ID") % (n // 10) == 0, F.lit("changed")).otherwise(F.col("NAME")))
        .unionByName(base.filter("ID <= 5").withColumn("ID", F.col("ID") + n))
        .orderBy(F.rand(7))
    )
    dirs = {}
    for side, df in (("legacy", base), ("migrated", migrated)):
        d = os.path.join(work, side)
        lines(df).write.mode("overwrite").text(os.path.join(d, "keyed.txt"))
        lines(df.limit(10)).write.mode("overwrite").text(os.path.join(d, "nokey.txt"))
        df.select("ID", "NAME").limit(10).write.mode("overwrite").parquet(os.path.join(d, "data.ds"))
        dirs[side] = d
    # The small targets must be equal on both sides: copy the legacy ones.
    import shutil

    for name in ("nokey.txt", "data.ds"):
        shutil.rmtree(os.path.join(dirs["migrated"], name))
        shutil.copytree(os.path.join(dirs["legacy"], name), os.path.join(dirs["migrated"], name))
    spec = importlib.util.spec_from_file_location("recon", os.path.join(out_dir, "reconcile", "r_reconcile.py"))
    recon = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recon)
    argv = [
        "--DSMIG_LOCAL", "1",
        "--DSMIG_JOB_SCRIPT", os.path.join(out_dir, "glue_jobs", "r_reconcile.py"),
        "--LEGACY_DSMIG_DATA_ROOT", "/", "--MIGRATED_DSMIG_DATA_ROOT", "/",
        "--LEGACY_DIR", dirs["legacy"], "--MIGRATED_DIR", dirs["migrated"],
    ]
    start = time.time()
    result = recon.main(argv)
    seconds = time.time() - start
    keyed = [t for t in result["targets"] if t["link"] == "lnk_keyed"][0]
    print(json.dumps({
        "rows": n,
        "seconds": round(seconds, 1),
        "verdict": result["verdict"],
        "differences": [(d["kind"], d.get("column"), d["count"]) for d in keyed["differences"]],
        "python_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "jvm_peak_rss_mb": jvm_peak_mb(spark),
    }))


if __name__ == "__main__":
    main()
