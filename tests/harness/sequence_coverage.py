"""Activities of the generated sequences expressed / blocked.

Usage: sequence_coverage.py OUT_DIR... (dsmig build output folders, Glue
target). Counts, over every sfn/*.asl.json, the activities ("run ..."
states) and those that are a dsmig.Untranslated Fail state (a blocking
item), with the blocked ones by reason (the stage type or property).
"""

import collections
import glob
import json
import os
import sys

for out in sys.argv[1:]:
    total = blocked = sequences = full = 0
    why = collections.Counter()
    for f in sorted(glob.glob(os.path.join(out, "sfn", "*.asl.json"))):
        sequences += 1
        states = json.load(open(f))["States"]
        runs = {k: v for k, v in states.items() if k.startswith("run ")}
        stop = [v for v in runs.values() if v.get("Error") == "dsmig.Untranslated"]
        total += len(runs)
        blocked += len(stop)
        full += not stop
        for v in stop:
            cause = v["Cause"]
            why[cause[cause.find("(") + 1 : cause.find(")")]] += 1
    print(
        f"{out}: {sequences} sequences ({full} fully expressed), {total} activities: "
        f"{total - blocked} expressed, {blocked} blocked; blocked by {dict(why)}"
    )
