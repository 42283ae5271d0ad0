"""Planted differences for tests/reconcile.rs, on local Spark.

argv[1]: the Glue output folder of tests/fixtures/reconcile/r_reconcile.dsx
argv[2]: a work folder (one legacy/ and migrated/ folder per case)
Each case writes DataStage's outputs (legacy) and the migrated job's
(migrated) of the fixture's three targets, with one difference planted in
the migrated side, then runs reconcile/r_reconcile.py's main() (the code
`dsmig reconcile` runs) with the case's settings. One Spark session.
stdout, last line: JSON {case: {"result", "data" (the rows written, for
the PostgreSQL half of the test), "dirs"}}.
"""
import importlib.util
import json
import os
import sys

BASE = [
    "1,alpha,1.5,2024-01-01",
    "2,beta,2.25,2024-01-02",
    "3,,3.0,2024-01-03",
    "4,NULL,4.0,2024-01-04",
]
DS = [(1, "alpha"), (2, "beta"), (3, None)]


def replace(lines, old, new):
    return [new if line == old else line for line in lines]


# name -> (keyed/nokey lines of the migrated side, data set rows or a
# DataFrame maker, settings, which targets are mutated)
CASES = {
    "identical": {},
    "row order": {"text": list(reversed(BASE)), "ds": list(reversed(DS))},
    "missing row": {"text": BASE[:1] + BASE[2:]},
    "extra row": {"text": BASE + ["5,eps,5.0,2024-01-05"]},
    "changed value": {"text": replace(BASE, BASE[1], "2,bets,2.25,2024-01-02")},
    "float within tolerance": {
        "text_keyed": replace(BASE, BASE[1], "2,beta,2.2500001,2024-01-02"),
        "settings": {"numeric_absolute": 1e-6},
    },
    "float beyond tolerance": {
        "text_keyed": replace(BASE, BASE[1], "2,beta,2.26,2024-01-02"),
        "settings": {"numeric_absolute": 1e-6},
    },
    "empty vs NULL": {"text": replace(BASE, BASE[2], "3,NULL,3.0,2024-01-03")},
    "empty vs NULL, equal by setting": {
        "text": replace(BASE, BASE[2], "3,NULL,3.0,2024-01-03"),
        "settings": {"empty_equals_null": True},
    },
    "duplicate key": {"text": BASE + [BASE[0]]},
    "type drift": {"ds_schema": "ID string, NAME string"},
    "missing column": {"ds_schema": "ID int", "text_keyed": [line.rsplit(",", 1)[0] for line in BASE]},
}


def main():
    out_dir, work = sys.argv[1], sys.argv[2]
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spec = importlib.util.spec_from_file_location("recon", os.path.join(out_dir, "reconcile", "r_reconcile.py"))
    recon = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recon)
    results = {}
    for i, (name, case) in enumerate(CASES.items()):
        sides = {}
        data = {"ds_schema": case.get("ds_schema")}
        for side in ("legacy", "migrated"):
            d = os.path.join(work, "case%02d" % i, side)
            os.makedirs(d, exist_ok=True)
            mutated = side == "migrated"
            text = case.get("text", BASE) if mutated else BASE
            keyed = case.get("text_keyed", text) if mutated else BASE
            with open(os.path.join(d, "keyed.txt"), "w") as f:
                f.write("\n".join(keyed) + "\n")
            with open(os.path.join(d, "nokey.txt"), "w") as f:
                f.write("\n".join(text) + "\n")
            rows = case.get("ds", DS) if mutated else DS
            data[side] = {"keyed": keyed, "nokey": text, "ds": rows}
            schema = case.get("ds_schema") if mutated else None
            if schema == "ID string, NAME string":
                df = spark.createDataFrame([(str(a), b) for a, b in rows], schema)
            elif schema == "ID int":
                df = spark.createDataFrame([(a,) for a, _ in rows], schema)
            else:
                df = spark.createDataFrame(rows, "ID int, NAME string")
            df.coalesce(1).write.mode("overwrite").parquet(os.path.join(d, "data.ds"))
            sides[side] = d
        argv = [
            "--DSMIG_LOCAL", "1",
            "--DSMIG_JOB_SCRIPT", os.path.join(out_dir, "glue_jobs", "r_reconcile.py"),
            "--LEGACY_DSMIG_DATA_ROOT", "/", "--MIGRATED_DSMIG_DATA_ROOT", "/",
            "--LEGACY_DIR", sides["legacy"], "--MIGRATED_DIR", sides["migrated"],
            "--DSMIG_RECONCILE_SETTINGS", json.dumps(case.get("settings", {})),
        ]
        results[name] = {"result": recon.main(argv), "data": data, "dirs": sides}
    print(json.dumps(results, default=str))


if __name__ == "__main__":
    main()
