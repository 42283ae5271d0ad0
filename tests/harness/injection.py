"""Injection property test (issue 15): hostile strings planted in every text
field an export carries, in DSX, DataStage XML and ISX; dsmig builds both
targets; every generated file must parse and run no planted code.

Usage: injection.py DSMIG WORKDIR TARGETS BASE...
  TARGETS: comma-separated, of glue, teradata, postgres, oracle, sqlserver, ansi
  BASE: .dsx, .xml(.gz), .isx

Each variant is one copy of a base file with one hostile string planted in
one field of every job it holds; every job's name gets a `V<n>_` prefix so
its generated files can be told apart. The payload of every hostile string
calls `PWNED()` (or `${PWNED}`, `$(PWNED)`, a `null_resource` "PWNED"...):
- Python (.py): parses (ast), and no name, call, attribute, import or
  definition is `PWNED` / `pwned_mod` (inside string constants and comments
  it is harmless text);
- Terraform (.tf): parses (python-hcl2), only aws_glue_* resources, no live
  `${PWNED` interpolation;
- shell (.sh): `bash -n`, then run with a PATH whose first folder holds a
  `PWNED` sentinel and stand-ins of the database tools: the sentinel must
  never run;
- SQL (.sql): sqlglot parses it in its dialect (BTEQ control lines aside)
  with no more statements than the clean variant's same file (dsmig's own
  stop statement aside), and no more BTEQ control commands of any kind;
- Markdown (.md): no `<script`; JSON (.json): loads.
Prints a summary and the failures; exit 1 on any failure.
"""
import ast
import collections
import gzip
import io
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import zipfile

import hcl2
import sqlglot
from sqlglot import exp

STRINGS = [
    'q"""\nPWNED()\n"""',
    "q'''\nPWNED()\n'''",
    'q"\nPWNED()\n#',
    "q'\nPWNED()\n#",
    "q\\\nPWNED()",
    "q\rPWNED()\r",
    "q\\U0001 \\N{x} \\x \\",
    "q${PWNED} %{ if PWNED } $(PWNED) `PWNED`",
    "q*/ PWNED() /* -- x\nPWNED(); #",
    "q'; PWNED(); --",
    "q}} {{PWNED}} {{{PWNED}}}",
    "q\x00PWNED()",
    "q\u202ePWNED()\u202c",
    "q\u2028PWNED()",
    '"\n}\nresource "null_resource" "PWNED" {\n',
    "<script>PWNED()</script>\n# PWNED",
    "q" + "A" * 10000 + "\nPWNED()",
    "q\n.OS PWNED\n.LOGON x/y,z",
]

FIELDS = [
    "job_name", "stage_name", "link_name", "column_name", "param_name", "param_default",
    "folder", "description", "annotation", "file_name", "table_name", "sql", "derivation",
]
ISX_FIELDS = ["job_name", "folder", "description", "names", "derivation"]

SQL_KEYS = {"SelectStatement", "UserSQL", "BeforeSQL", "AfterSQL", "SQL", "SqlPrimary", "SELECT", "WHERE"}
TABLE_KEYS = {"TableName", "TableNames", "table", "tableName"}
DIALECTS = {"teradata": "teradata", "postgres": "postgres", "oracle": "oracle", "sqlserver": "tsql", "ansi": None}


# ---------------------------------------------------------------- planting

def ds_literal(h):
    """A DataStage string literal holding h, or None if no delimiter fits."""
    for d in ('"', "'", "\\"):
        if d not in h:
            return d + h + d
    return None


def plant_value(field, ctx, value, h):
    """The new logical value of one property, or None to leave it."""
    rec, in_sub, coll, key, sub = ctx
    job = rec == "JobDefn"
    if field == "stage_name":
        hit = not in_sub and key == "Name" and (rec.endswith("Stage") or rec.endswith("Activity"))
    elif field == "link_name":
        hit = not in_sub and key == "Name" and (rec.endswith("Input") or rec.endswith("Output"))
    elif field == "column_name":
        hit = in_sub and coll == "Columns" and key == "Name"
    elif field == "param_name":
        hit = job and in_sub and coll == "Parameters" and key == "Name"
    elif field == "param_default":
        hit = job and in_sub and coll == "Parameters" and key == "Default"
    elif field == "folder":
        hit = job and not in_sub and key == "Category"
    elif field == "description":
        hit = not in_sub and key in ("Description", "FullDescription")
    elif field == "annotation":
        hit = rec == "Annotation" and key == "AnnotationText"
    elif field == "file_name":
        if key == "FileName":
            return value + h
        if in_sub and key == "Value" and sub.strip().lower() in ("file", "filepath", "dataset", "fileset"):
            parts = value.split("\x02")
            if len(parts) >= 2:
                parts[-2] += h
                return "\x02".join(parts)
        return None
    elif field == "table_name":
        if key in TABLE_KEYS:
            return value + h
        if in_sub and key == "Value" and sub.strip() in TABLE_KEYS:
            parts = value.split("\x02")
            if len(parts) >= 2:
                parts[-2] += h
                return "\x02".join(parts)
        return None
    elif field == "sql":
        if key in SQL_KEYS:
            return value + h
        if in_sub and key == "Value" and sub.strip() in SQL_KEYS:
            parts = value.split("\x02")
            if len(parts) >= 2:
                parts[-2] += h
                return "\x02".join(parts)
        return None
    elif field == "derivation":
        if key in ("Derivation", "Expression") and value.strip():
            lit = ds_literal(h)
            return None if lit is None else value + " : " + lit
        return None
    else:
        return None
    return value + h if hit else None


def dsx_unescape(v):
    out, i = [], 0
    while i < len(v):
        c = v[i]
        if c == "\\" and i + 1 < len(v):
            n = v[i + 1]
            if n == "(":
                j = v.find(")", i)
                out.append(chr(int(v[i + 2:j], 16)))
                i = j + 1
                continue
            out.append(n)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def dsx_escape(v):
    out = []
    for c in v:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif ord(c) < 0x20 or ord(c) > 0x7E:
            out.append("\\(%X)" % ord(c))
        else:
            out.append(c)
    return "".join(out)


PROP = re.compile(r'^(\s*)([A-Za-z_][\w/]*) "(.*)"(\s*)$')


def plant_dsx(text, field, h):
    lines = text.split("\n")
    out = []
    # Record types first: OLEType may come after Name.
    rec_type, stack, coll, sub = "", [], "", ""
    types = {}
    depth_rec = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s == "BEGIN DSRECORD":
            depth_rec = i
        elif s.startswith("OLEType ") and depth_rec is not None and "DSSUBRECORD" not in stack[-1:]:
            types[depth_rec] = s.split('"')[1][1:] if s.split('"')[1].startswith("C") else s.split('"')[1]
        if s.startswith("BEGIN "):
            stack.append(s[6:])
        elif s.startswith("END ") and stack:
            stack.pop()
    stack = []
    multi = None
    for i, line in enumerate(lines):
        s = line.strip()
        if multi is not None:
            if s == "=+=+=+=":
                key, buf, ctx = multi
                value = "\n".join(buf)
                new = plant_value(field, ctx, value, h.replace("=+=+=+=", "")) if ctx else None
                out.extend((new if new is not None else value).split("\n"))
                out.append(line)
                multi = None
            else:
                multi[1].append(line)
            continue
        if s == "BEGIN DSRECORD":
            rec_type = types.get(i, "")
            coll = ""
        if s.startswith("BEGIN "):
            stack.append(s[6:])
            if s == "BEGIN DSSUBRECORD":
                sub = ""
            out.append(line)
            continue
        if s.startswith("END "):
            if stack:
                stack.pop()
            out.append(line)
            continue
        in_sub = bool(stack) and stack[-1] == "DSSUBRECORD"
        if s.endswith("=+=+=+="):
            key = s.split()[0]
            out.append(line)
            multi = (key, [], (rec_type, in_sub, coll, key, sub) if "DSRECORD" in stack else None)
            continue
        m = PROP.match(line)
        if m and "DSRECORD" in stack:
            ind, key, raw, tail = m.groups()
            value = dsx_unescape(raw)
            if in_sub and key == "Name":
                sub = value
            if not in_sub and value.startswith("C") and key not in ("Name", "OLEType", "Identifier"):
                coll = key
            new = plant_value(field, (rec_type, in_sub, coll, key, sub), value, h)
            if new is not None:
                line = f'{ind}{key} "{dsx_escape(new)}"{tail}'
        out.append(line)
    return "\n".join(out)


def xml_escape(v, attr=False):
    out = []
    for c in v:
        o = ord(c)
        if c == "&":
            out.append("&amp;")
        elif c == "<":
            out.append("&lt;")
        elif c == ">":
            out.append("&gt;")
        elif c == '"' and attr:
            out.append("&quot;")
        elif c in "\n\r\t":
            out.append("&#%d;" % o)
        elif o == 0:
            out.append("\\(0)")  # XML cannot carry NUL: DataStage's own escape
        elif o < 0x20:
            out.append("&#%d;" % o if False else "\\(%X)" % o)
        else:
            out.append(c)
    return "".join(out)


def xml_unescape(v):
    return (v.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


XPROP = re.compile(r'^(\s*<Property Name="([^"]+)"[^>]*>)(.*?)(</Property>\s*)$', re.S)


def plant_xml(text, field, h):
    # Join multi-line properties into one logical line first.
    raw = text.split("\n")
    lines, buf = [], None
    for line in raw:
        if buf is not None:
            buf.append(line)
            if "</Property>" in line:
                lines.append("\n".join(buf))
                buf = None
            continue
        if "<Property " in line and "</Property>" not in line and not line.rstrip().endswith("/>"):
            buf = [line]
            continue
        lines.append(line)
    out = []
    rec, coll, in_sub, sub = "", "", False, ""
    for line in lines:
        s = line.strip()
        m = re.match(r'<Record [^>]*Type="([^"]+)"', s)
        if m:
            rec, coll = m.group(1), ""
        m = re.match(r'<Collection Name="([^"]+)"', s)
        if m:
            coll = m.group(1)
        if s.startswith("<SubRecord"):
            in_sub, sub = True, ""
        if s.startswith("</SubRecord"):
            in_sub = False
        m = XPROP.match(line)
        if m:
            head, key, raw_v, tail = m.group(1), m.group(2), m.group(3), m.group(4)
            value = xml_unescape(raw_v)
            if in_sub and key == "Name":
                sub = value
            new = plant_value(field, (rec, in_sub, coll, key, sub), value, h)
            if new is not None:
                line = head + xml_escape(new) + tail
        out.append(line)
    return "\n".join(out)


def job_names_dsx(text):
    return re.findall(r'^BEGIN DSJOB\s*\n\s*Identifier "([^"]*)"', text, re.M)


def rename_jobs(text, names, prefix, fmt):
    for n in sorted(names, key=len, reverse=True):
        if fmt == "dsx":
            text = text.replace(f'"{n}"', f'"{prefix}{n}"')
        else:
            text = text.replace(f">{n}<", f">{prefix}{n}<").replace(f'="{n}"', f'="{prefix}{n}"')
    return text


def plant_isx(members, field, h):
    out = {}
    hx = xml_escape(h, attr=True)
    for name, data in members.items():
        if not name.endswith((".pjb", ".sjb", ".qjb")) and not re.search(r"\.[psq]jb\d*$", name):
            out[name] = data
            continue
        t = data.decode("utf-8")
        if field == "job_name":
            t = re.sub(r'(<com\.ibm[^>]* name=")([^"]*)"', lambda m: m.group(1) + m.group(2) + hx + '"', t, count=1)
        elif field == "folder":
            t = re.sub(r'( category=")([^"]*)"', lambda m: m.group(1) + m.group(2) + hx + '"', t)
        elif field == "description":
            t = re.sub(r'( (?:shortDescription|description|longDescription|fullDescription)=")([^"]*)"',
                       lambda m: m.group(1) + m.group(2) + hx + '"', t)
        elif field == "names":
            t = re.sub(r'(<(?!com\.ibm)[\w.:]+ [^>]*? name=")([^"]*)"', lambda m: m.group(1) + m.group(2) + hx + '"', t)
        elif field == "derivation":
            lit = ds_literal(h)
            if lit is not None:
                lx = xml_escape(lit, attr=True)
                t = re.sub(r'( (?:expression|derivation|parsedDerivation)=")([^"]+)"',
                           lambda m: m.group(1) + m.group(2) + " : " + lx + '"', t)
        out[name] = t.encode("utf-8")
    return out


def isx_rename(members, prefix):
    out = {}
    for name, data in members.items():
        if re.search(r"\.[psq]jb\d*$", name):
            t = data.decode("utf-8")
            t = re.sub(r'(<com\.ibm[^>]* name=")', lambda m: m.group(1) + prefix, t, count=1)
            data = t.encode("utf-8")
        out[name] = data
    return out


def read_base(path):
    p = pathlib.Path(path)
    if p.suffix == ".isx":
        with zipfile.ZipFile(p) as z:
            return "isx", {n: z.read(n) for n in z.namelist()}
    data = p.read_bytes()
    if p.suffix == ".gz":
        data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace")
    return ("xml" if text.lstrip().startswith("<") else "dsx"), text


def write_variants(bases, root):
    """Writes every variant under root/in/; returns {variant id: (format, field, string index)}."""
    inp = root / "in"
    inp.mkdir(parents=True)
    variants = {}
    n = 0
    for base in bases:
        fmt, content = read_base(base)
        fields = ISX_FIELDS if fmt == "isx" else FIELDS
        plan = [(None, None)] + [(f, k) for f in fields for k in range(len(STRINGS))]
        for field, k in plan:
            n += 1
            vid = f"V{n}"
            prefix = vid + "_"
            variants[vid] = (fmt, field, k, str(base))
            h = STRINGS[k] if k is not None else ""
            if fmt == "isx":
                members = isx_rename(content, prefix)
                if field:
                    members = plant_isx(members, field, h)
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                    for name, data in members.items():
                        z.writestr(name, data)
                (inp / f"{vid}.isx").write_bytes(buf.getvalue())
                continue
            if fmt == "dsx":
                names = job_names_dsx(content)
            else:
                names = re.findall(r'<Job Identifier="([^"]*)"', content)
            text = rename_jobs(content, names, prefix, fmt)
            if field == "job_name":
                for nm in names:
                    new = prefix + nm + h
                    if fmt == "dsx":
                        text = text.replace(f'"{prefix}{nm}"', f'"{dsx_escape(new)}"')
                    else:
                        text = (text.replace(f">{prefix}{nm}<", f">{xml_escape(new)}<")
                                .replace(f'="{prefix}{nm}"', f'="{xml_escape(new, attr=True)}"'))
            elif field:
                text = plant_dsx(text, field, h) if fmt == "dsx" else plant_xml(text, field, h)
            (inp / f"{vid}.{fmt}").write_text(text, encoding="utf-8")
    return variants


# ---------------------------------------------------------------- checks

def variant_of(path):
    m = re.search(r"(?:^|[_/])(V\d+)_", path.name) or re.search(r"(V\d+)_", str(path))
    return m.group(1) if m else None


BAD_NAMES = {"PWNED", "pwned_mod"}


def check_py(path):
    src = path.read_bytes()
    try:
        tree = ast.parse(src, filename=str(path))
    except (SyntaxError, ValueError) as e:
        return f"does not parse: {e}"
    for node in ast.walk(tree):
        ids = []
        if isinstance(node, ast.Name):
            ids.append(node.id)
        elif isinstance(node, ast.Attribute):
            ids.append(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            ids.append(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            ids.extend(a.name for a in node.names)
        if any(i in BAD_NAMES for i in ids):
            return f"planted code became Python: {ids} at line {getattr(node, 'lineno', '?')}"
    return None


def walk_values(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from walk_values(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk_values(x)
    else:
        yield v


def check_tf(path):
    try:
        doc = hcl2.loads(path.read_text())
    except Exception as e:  # noqa: BLE001
        return f"does not parse: {type(e).__name__}: {str(e)[:200]}"
    for block in doc.get("resource", []):
        for rtype, named in block.items():
            if not rtype.startswith("aws_"):
                return f"unexpected resource type {rtype}"
            for rname in named:
                if "PWNED" == rname.strip('"'):
                    return f"planted resource {rtype}.{rname}"
    for v in walk_values(doc):
        if isinstance(v, str) and re.search(r"(?<!\$)\$\{PWNED", v):
            return f"live interpolation: {v[:80]!r}"
    return None


def check_md(path):
    # Code spans show their text literally (CommonMark): only outside them
    # would a tag be HTML.
    t = re.sub(r"(`+)(.+?)\1", "", path.read_text(errors="replace"))
    return "raw <script> in Markdown" if "<script" in t.lower() else None


def check_json(path):
    try:
        json.loads(path.read_text())
    except Exception as e:  # noqa: BLE001
        return f"not JSON: {e}"
    return None


def sentinel_path(root):
    d = root / "sentinel"
    if d.exists():
        return d
    d.mkdir()
    marker = root / "PWNED-RAN"
    (d / "PWNED").write_text(f"#!/bin/sh\necho ran >> '{marker}'\n")
    for tool in ["psql", "bteq", "sqlplus", "sqlldr", "bcp", "sqlcmd", "fastload", "tbuild", "aws", "spark-submit"]:
        (d / tool).write_text("#!/bin/sh\ncat >/dev/null 2>&1 </dev/null\nexit 0\n")
    for f in d.iterdir():
        f.chmod(0o755)
    return d


def check_sh(path, root):
    r = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        return f"bash -n: {r.stderr.strip()[:200]}"
    sdir = sentinel_path(root)
    env = {"PATH": f"{sdir}:{os.environ.get('PATH', '/usr/bin:/bin')}", "HOME": str(root),
           "PGHOST": "127.0.0.1", "PGPORT": "1", "DATA_DIR": str(root / "data"), "TMPDIR": str(root)}
    subprocess.run(["bash", str(path)], capture_output=True, env=env, cwd=str(path.parent), timeout=60,
                   stdin=subprocess.DEVNULL)
    marker = root / "PWNED-RAN"
    if marker.exists():
        marker.unlink()
        return "a planted command ran"
    return None


def sql_shape(text, dialect_dir):
    control = collections.Counter()
    if dialect_dir == "teradata":
        kept = []
        for line in text.splitlines():
            if line.lstrip().startswith("."):
                control[line.lstrip().split()[0].upper().rstrip(";")] += 1
                kept.append("")
            else:
                kept.append(line)
        text = "\n".join(kept)
    trees = [t for t in sqlglot.parse(text, read=DIALECTS[dialect_dir]) if t is not None]
    bad = [t for t in trees if isinstance(t, exp.Command) or t.find(exp.Command)]
    # The statement that stops a job dsmig could not translate (a planted
    # value can make a derivation unreadable) is dsmig's own, not planted.
    kept = [t for t in trees if "dsmig_stop" not in t.sql()]
    return len(kept), control, (bad[0].sql()[:120] if bad else None)


def main():
    dsmig, work = sys.argv[1], pathlib.Path(sys.argv[2])
    wanted = sys.argv[3].split(",")
    bases = sys.argv[4:]
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    variants = write_variants(bases, work)
    targets = [("glue", [])] + [(d, ["--target", "sql", "--dialect", d]) for d in DIALECTS]
    targets = [t for t in targets if t[0] in wanted]
    failures = []
    counts = collections.Counter()
    clean_of = {}
    for vid, (fmt, field, k, base) in variants.items():
        if field is None:
            clean_of[base] = vid
    for target, args in targets:
        out = work / "out" / target
        r = subprocess.run([dsmig, "build", str(work / "in"), "--output-dir", str(out),
                            "--store", str(work / "store" / target)] + args,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        counts["builds"] += 1
        if r.returncode not in (0, 1) or "panicked" in r.stderr:
            failures.append((target, "-", f"build exited {r.returncode}: {r.stderr[-400:]}"))
        shapes = {}
        for path in sorted(out.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(out)
            vid = variant_of(rel)
            why = None
            suffix = path.suffix
            try:
                if suffix == ".py":
                    counts["py"] += 1
                    why = check_py(path)
                elif suffix == ".tf":
                    counts["tf"] += 1
                    why = check_tf(path)
                elif suffix == ".md":
                    counts["md"] += 1
                    why = check_md(path)
                elif suffix == ".json":
                    counts["json"] += 1
                    why = check_json(path)
                elif suffix == ".sh":
                    counts["sh"] += 1
                    why = check_sh(path, work)
                elif suffix == ".sql" and target != "glue":
                    counts["sql"] += 1
                    try:
                        shapes[rel] = sql_shape(path.read_text(), target)
                        if shapes[rel][2]:
                            why = f"not understood: {shapes[rel][2]}"
                    except Exception as e:  # noqa: BLE001
                        why = f"does not parse: {type(e).__name__}: {str(e)[:200]}"
            except Exception as e:  # noqa: BLE001
                why = f"checker failed: {type(e).__name__}: {e}"
            if why:
                failures.append((target, str(rel), why, variants.get(vid, ("?",))[:3]))
        # Every variant must have been generated: one that was not read
        # tested nothing.
        made = {variant_of(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.suffix != ".md"}
        for vid, v in variants.items():
            if vid not in made:
                failures.append((target, vid, "no code generated for this variant", v[:3]))
        counts[f"variants generated ({target})"] = len(made & set(variants))
        # Statement counts and BTEQ control commands against the clean twin.
        for rel, (n, control, _) in shapes.items():
            vid = variant_of(rel)
            if vid not in variants:
                continue
            fmt, field, k, base = variants[vid]
            twin = clean_of.get(base)
            if field is None or twin is None:
                continue
            twin_rel = pathlib.Path(re.sub(rf"\b{vid}_", f"{twin}_", str(rel)))
            if twin_rel in shapes:
                tn, tcontrol, _ = shapes[twin_rel]
                # More statements or control commands than the clean job's
                # would be planted ones; fewer happen when a renamed
                # parameter is no longer read (no parameter table).
                if n > tn or any(control[c] > tcontrol[c] for c in control):
                    failures.append((target, str(rel), f"statements {n} vs clean {tn}; control {dict(control)} vs {dict(tcontrol)}",
                                     (fmt, field, k)))
    planted = collections.Counter(fmt for fmt, field, _, _ in variants.values() if field)
    print(f"injection: {len(STRINGS)} strings x fields ({len(FIELDS)} DSX/XML, {len(ISX_FIELDS)} ISX) "
          f"= {sum(planted.values())} planted variants ({dict(planted)}) x {len(targets)} targets/dialects")
    print("files checked: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    by_kind = collections.Counter(f[2].split(":")[0] for f in failures)
    print(f"failures: {len(failures)} {dict(by_kind)}")
    for f in failures[:int(os.environ.get("INJECTION_SHOW", "60"))]:
        print("  ", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
