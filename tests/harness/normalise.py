"""Shared value normalisation for the differential harnesses: every result
becomes [kind, text] with kind in null/str/num/date/ts/time, the same shape
the Rust reference evaluator produces."""
import datetime
import decimal
import math


def normalise(v):
    if v is None:
        return ["null", ""]
    if isinstance(v, bool):
        return ["num", "1" if v else "0"]
    if isinstance(v, int):
        return ["num", str(v)]
    if isinstance(v, decimal.Decimal):
        return ["num", str(v)]
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ["num", repr(v)]
        return ["num", repr(v)]
    if isinstance(v, datetime.datetime):
        text = v.strftime("%Y-%m-%d %H:%M:%S")
        if v.microsecond:
            text += ".%06d" % v.microsecond
        return ["ts", text]
    if isinstance(v, datetime.date):
        return ["date", v.isoformat()]
    if isinstance(v, datetime.time):
        text = v.strftime("%H:%M:%S")
        if v.microsecond:
            text += ".%06d" % v.microsecond
        return ["time", text]
    return ["str", str(v)]


def parse_input(ty, text):
    """Typed Python value of a standard-row cell."""
    if text is None:
        return None
    if ty == "string":
        return text
    if ty == "bigint":
        return int(text)
    if ty.startswith("decimal"):
        return decimal.Decimal(text)
    if ty == "double":
        return float(text)
    if ty == "date":
        return datetime.date.fromisoformat(text)
    return datetime.datetime.fromisoformat(text)
