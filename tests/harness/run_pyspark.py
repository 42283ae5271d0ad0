"""Evaluate PySpark translations on one local SparkSession.

Input (argv[1]): {"columns": [[name, spark type, pg type]...],
"rows": {"A": [cell...]}, "cases": [{"id", "row", "pyspark"}]}.
Output (stdout): {id: [kind, text] | ["error", message]}.
All cases are evaluated in one select over the rows; if that fails, each
case is evaluated alone so one failure does not hide the others."""
import json
import os
import sys
import time

os.environ["TZ"] = "UTC"
time.tzset()

from pyspark.sql import SparkSession, Window  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

from normalise import normalise, parse_input  # noqa: E402


def spark_type(name):
    if name == "string":
        return T.StringType()
    if name == "bigint":
        return T.LongType()
    if name.startswith("decimal"):
        p, s = name[len("decimal("):-1].split(",")
        return T.DecimalType(int(p), int(s))
    if name == "double":
        return T.DoubleType()
    if name == "date":
        return T.DateType()
    return T.TimestampType()


def main():
    spec = json.load(open(sys.argv[1]))
    spark = (
        SparkSession.builder.master("local[1]")
        .appName("dsmig-expr-differential")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    cols = spec["columns"]
    schema = T.StructType(
        [T.StructField("ROWKEY", T.StringType())]
        + [T.StructField(c[0], spark_type(c[1])) for c in cols]
    )
    data = [
        tuple([key] + [parse_input(c[1], cell) for c, cell in zip(cols, cells)])
        for key, cells in sorted(spec["rows"].items())
    ]
    df = spark.createDataFrame(data, schema).cache()
    env = {"F": F, "Window": Window, "params": {}}
    out = {}
    columns = []
    for case in spec["cases"]:
        try:
            col = eval(case["pyspark"], env)  # noqa: S307 - generated test code
            df.select(col.alias("x"))  # analysis errors surface here
            columns.append((case, col))
        except Exception as e:  # noqa: BLE001
            out[case["id"]] = ["error", type(e).__name__ + ": " + str(e).splitlines()[0]]
    try:
        rows = df.select(
            "ROWKEY", *[col.alias("c%d" % i) for i, (_, col) in enumerate(columns)]
        ).collect()
        by_key = {r["ROWKEY"]: r for r in rows}
        for i, (case, _) in enumerate(columns):
            out[case["id"]] = normalise(by_key[case["row"]]["c%d" % i])
    except Exception:  # noqa: BLE001
        for case, col in columns:
            try:
                r = df.filter(F.col("ROWKEY") == case["row"]).select(col.alias("x")).collect()
                out[case["id"]] = normalise(r[0]["x"])
            except Exception as e:  # noqa: BLE001
                out[case["id"]] = ["error", type(e).__name__ + ": " + str(e).splitlines()[0]]
    json.dump(out, sys.stdout)
    spark.stop()


if __name__ == "__main__":
    main()
