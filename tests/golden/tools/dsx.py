"""Authoring aid for the golden cases: writes the DataStage DSX text of a
small job from a compact description (stages, links, columns, properties),
the way the Designer lays it out (records, pins with Partner, columns on
the output pin, property trees with \\(n) escapes, a container view).

It does not use dsmig in any way; its output is committed and is what
the golden test reads. Regenerate with `python3 tests/golden/tools/cases.py`.
"""


def q(s):
    """A DSX quoted string: backslash and quote escaped; the property-tree
    separators (U+0001..U+0003) written as DataStage's \\(n) escapes."""
    s = str(s).replace("\\", "\\\\").replace('"', '\\"')
    for n in (1, 2, 3):
        s = s.replace(chr(n), "\\(%d)" % n)
    return '"' + s + '"'


def tree(name, *entries):
    """Property tree value: entries are (value, [(subname, subvalue)...])."""
    out = "\x02\x020"
    for e in entries:
        if isinstance(e, str):
            e = (e, [])
        val, subs = e
        out += "\x01\x03%s\x02%s\x020" % (name, val)
        for sn, sv in subs:
            out += "\x01\x03\x03%s\x02%s\x020" % (sn, sv)
    return out


class Col:
    def __init__(self, name, sqltype, prec=0, scale=0, null=0, deriv=None, key=0, **extra):
        self.name, self.sqltype, self.prec, self.scale, self.null = name, sqltype, prec, scale, null
        self.deriv, self.key, self.extra = deriv, key, extra

    def lines(self, ind):
        s = ind + "BEGIN DSSUBRECORD\n"
        f = [("Name", self.name), ("SqlType", self.sqltype), ("Precision", self.prec),
             ("Scale", self.scale), ("Nullable", self.null), ("KeyPosition", self.key)]
        if self.deriv is not None:
            f += [("Derivation", self.deriv), ("ParsedDerivation", self.deriv)]
        f += list(self.extra.items())
        for k, v in f:
            s += ind + "   %s %s\n" % (k, q(v))
        return s + ind + "END DSSUBRECORD\n"


def C(name, t, prec=0, scale=0, null=0, d=None, key=0, **extra):
    types = {"int": "4", "str": "12", "char": "1", "dec": "3", "date": "9", "bigint": "-5", "dbl": "8"}
    return Col(name, types.get(t, t), prec, scale, null, d, key, **extra)


class Stage:
    def __init__(self, job, sid, name, kind, ole, props, fields, stagevars):
        self.job, self.id, self.name, self.kind, self.ole = job, sid, name, kind, ole
        self.props, self.fields, self.stagevars = props, fields, stagevars
        self.inputs, self.outputs = [], []


class Link:
    pass


class Job:
    def __init__(self, name, server=False, params=(), psets=(), views=True, extra_root=()):
        self.name, self.server, self.views = name, server, views
        self.params = [("DIR", "/data", "4")] + list(params)
        self.psets = list(psets)  # (set name, [(param, default)])
        self.stages, self.links = [], []
        self.extra_root = list(extra_root)

    def stage(self, name, kind, props=None, fields=None, stagevars=None, ole=None):
        if ole is None:
            ole = {
                "CTransformerStage": "CTransformerStage",
                "CSeqFileStage": "CSeqFileStage",
                "CHashedFileStage": "CHashedFileStage",
            }.get(kind, "CCustomStage")
        s = Stage(self, "V0S%d" % (len(self.stages) + 1), name, kind, ole, props or {}, fields or {}, stagevars or [])
        self.stages.append(s)
        return s

    def link(self, name, src, dst, cols, out=None, inp=None, out_props=None, in_props=None,
             out_meta=None, in_meta=None, ltype=1):
        l = Link()
        l.name, l.src, l.dst, l.cols, l.ltype = name, src, dst, cols, ltype
        l.out, l.inp = out or {}, inp or {}
        l.out_props, l.in_props = out_props or {}, in_props or {}
        l.out_meta, l.in_meta = out_meta or {}, in_meta or {}
        src.outputs.append(l)
        dst.inputs.append(l)
        self.links.append(l)
        return l

    def pin_ids(self):
        for s in self.stages:
            n = 1
            for l in s.inputs:
                l.in_pin = "%sP%d" % (s.id, n)
                n += 1
            for l in s.outputs:
                l.out_pin = "%sP%d" % (s.id, n)
                n += 1

    def dsx(self):
        self.pin_ids()
        o = ["BEGIN HEADER", '   CharacterSet "CP1252"', '   ExportingTool "IBM InfoSphere DataStage Export"',
             '   ToolVersion "8"', '   ServerName "GOLDEN"', '   ToolInstanceID "GOLDEN"',
             '   Date "2024-01-01"', '   Time "10.00.00"', '   ServerVersion "11.7"', "END HEADER",
             "BEGIN DSJOB", "   Identifier %s" % q(self.name), '   DateModified "2024-01-01"',
             '   TimeModified "10.00.00"']
        o += self.root()
        if self.views:
            o += self.view()
        for s in self.stages:
            o += self.stage_rec(s)
            for l in s.inputs:
                o += self.in_pin(l)
            for l in s.outputs:
                o += self.out_pin(l)
        o.append("END DSJOB")
        for set_name, values in self.psets:
            o += ["BEGIN DSPARAMETERSETS", "   BEGIN DSRECORD", "      Identifier %s" % q(set_name),
                  '      DateModified "2024-01-01"', '      TimeModified "10.00.00"',
                  '      OLEType "CParameterSet"', '      Readonly "0"', '      Category "\\\\Parameter Sets"',
                  '      Parameters "CParameters"']
            for p, d in values:
                o += ["      BEGIN DSSUBRECORD", "         Name %s" % q(p), "         Prompt %s" % q(p),
                      "         Default %s" % q(d), '         ParamType "0"', "      END DSSUBRECORD"]
            o += ["   END DSRECORD", "END DSPARAMETERSETS"]
        return "\n".join(o) + "\n"

    def root(self):
        o = ["   BEGIN DSRECORD", '      Identifier "ROOT"', '      OLEType "CJobDefn"', '      Readonly "0"',
             "      Name %s" % q(self.name), '      Container "V0"', '      Parameters "CParameters"']
        for p, d, t in self.params:
            o += ["      BEGIN DSSUBRECORD", "         Name %s" % q(p), "         Prompt %s" % q(p),
                  "         Default %s" % q(d), '         HelpTxt ""', "         ParamType %s" % q(t),
                  '         ParamLength "0"', '         ParamScale "0"', "      END DSSUBRECORD"]
        for set_name, _ in self.psets:
            o += ["      BEGIN DSSUBRECORD", "         Name %s" % q(set_name), "         Prompt %s" % q(set_name),
                  '         Default "(As pre-defined)"', '         HelpTxt ""', '         ParamType "13"',
                  '         ParamLength "0"', '         ParamScale "0"', "      END DSSUBRECORD"]
        o += ['      JobType %s' % q("0" if self.server else "3")]
        for k, v in self.extra_root:
            o.append("      %s %s" % (k, q(v)))
        o.append("   END DSRECORD")
        return o

    def view(self):
        names, types, lnames, ltypes, tgts, srcpins = [], [], [], [], [], []
        for s in self.stages:
            names.append(s.name)
            types.append(s.kind)
            lnames.append(",".join(l.name for l in s.outputs) or " ")
            ltypes.append(",".join(str(l.ltype) for l in s.outputs) or " ")
            tgts.append(",".join(l.dst.id for l in s.outputs) or " ")
            srcpins.append(",".join(l.out_pin for l in s.outputs) or " ")
        return ["   BEGIN DSRECORD", '      Identifier "V0"', '      OLEType "CContainerView"', '      Readonly "0"',
                '      Name "Job"', '      IsTopLevel "0"',
                "      StageList %s" % q("|".join(s.id for s in self.stages)),
                "      StageTypes %s" % q("|".join(s.ole for s in self.stages)),
                "      StageNames %s" % q("|".join(names)), "      StageTypeIDs %s" % q("|".join(types)),
                "      LinkNames %s" % q("|".join(lnames)), "      LinkTypes %s" % q("|".join(ltypes)),
                "      TargetStageIDs %s" % q("|".join(tgts)), "      LinkSourcePinIDs %s" % q("|".join(srcpins)),
                "   END DSRECORD"]

    def props_lines(self, props, meta):
        o = []
        if props:
            o.append('      Properties "CCustomProperty"')
            for k, v in props.items():
                o += ["      BEGIN DSSUBRECORD", "         Name %s" % q(k), "         Value %s" % q(v),
                      "      END DSSUBRECORD"]
        if meta:
            o.append('      MetaBag "CMetaProperty"')
            for k, v in meta.items():
                o += ["      BEGIN DSSUBRECORD", '         Owner "APT"', "         Name %s" % q(k),
                      "         Value %s" % q(v), "      END DSSUBRECORD"]
        return o

    def stage_rec(self, s):
        o = ["   BEGIN DSRECORD", "      Identifier %s" % q(s.id), "      OLEType %s" % q(s.ole), '      Readonly "0"',
             "      Name %s" % q(s.name)]
        if s.inputs:
            o.append("      InputPins %s" % q("|".join(l.in_pin for l in s.inputs)))
        if s.outputs:
            o.append("      OutputPins %s" % q("|".join(l.out_pin for l in s.outputs)))
        o.append("      StageType %s" % q(s.kind))
        for k, v in s.fields.items():
            o.append("      %s %s" % (k, q(v)))
        if s.stagevars:
            o.append('      StageVars "CStageVar"')
            for sv in s.stagevars:
                name, expr, init, t = sv[0], sv[1], sv[2], sv[3] if len(sv) > 3 else ("12", "20", "0")
                o += ["      BEGIN DSSUBRECORD", "         Name %s" % q(name)]
                if expr is not None:
                    o += ["         Expression %s" % q(expr), "         ParsedExpression %s" % q(expr)]
                if init is not None:
                    o.append("         InitialValue %s" % q(init))
                o += ["         SqlType %s" % q(t[0]), "         Precision %s" % q(t[1]),
                      "         ColScale %s" % q(t[2]), "      END DSSUBRECORD"]
        o += self.props_lines(s.props, {"LookupOperator": "lookup"} if s.kind == "PxLookup" else {})
        o.append("   END DSRECORD")
        return o

    def in_pin(self, l):
        s = l.dst
        ole = {"CCustomStage": "CCustomInput", "CTransformerStage": "CTrxInput", "CSeqFileStage": "CSeqInput",
               "CHashedFileStage": "CHashedInput"}[s.ole]
        o = ["   BEGIN DSRECORD", "      Identifier %s" % q(l.in_pin), "      OLEType %s" % q(ole), '      Readonly "0"',
             "      Name %s" % q(l.name), "      Partner %s" % q(l.src.id + "|" + l.out_pin)]
        lt = l.inp.pop("LinkType", "2" if l.ltype == 2 else ("3" if l.ltype == 3 else "1"))
        o.append("      LinkType %s" % q(lt))
        cols = l.inp.pop("Columns", None)
        for k, v in l.inp.items():
            o.append("      %s %s" % (k, q(v)))
        o += self.props_lines(l.in_props, l.in_meta)
        if cols:
            o.append('      Columns "COutputColumn"')
            for c in cols:
                o.append(c.lines("      ").rstrip("\n"))
        o.append("   END DSRECORD")
        return o

    def out_pin(self, l):
        s = l.src
        ole = {"CCustomStage": "CCustomOutput", "CTransformerStage": "CTrxOutput", "CSeqFileStage": "CSeqOutput",
               "CHashedFileStage": "CHashedOutput"}[s.ole]
        o = ["   BEGIN DSRECORD", "      Identifier %s" % q(l.out_pin), "      OLEType %s" % q(ole), '      Readonly "0"',
             "      Name %s" % q(l.name), "      Partner %s" % q(l.dst.id + "|" + l.in_pin)]
        for k, v in l.out.items():
            o.append("      %s %s" % (k, q(v)))
        o += self.props_lines(l.out_props, l.out_meta)
        if l.cols:
            o.append('      Columns "COutputColumn"')
            for c in l.cols:
                o.append(c.lines("      ").rstrip("\n"))
        o.append("   END DSRECORD")
        return o


FMT = "final_delim=end, delim=',', quote=none"


def seq_read(job, name, file, link_cols=None, fmt=FMT, header=False, null_field=None):
    """A parallel Sequential File stage reading #DIR#/file: returns (stage, out_props, out_meta)."""
    st = job.stage(name, "PxSequentialFile")
    f = fmt if null_field is None else fmt + ", null_field='%s'" % null_field
    props = {"file": tree("file", "#DIR#/" + file), "selection": "file", "rejects": "continue",
             "firstLineColumnNames": "firstLineColumnNames" if header else " ", "missingFile": " "}
    return st, props, {"SchemaFormat": f}


def seq_write(job, name, file, fmt=FMT, header=False, null_field=None):
    st = job.stage(name, "PxSequentialFile")
    f = fmt if null_field is None else fmt + ", null_field='%s'" % null_field
    props = {"file": tree("file", "#DIR#/" + file), "append\\overwrite": "overwrite",
             "firstLineColumnNames": "firstLineColumnNames" if header else " "}
    return st, props, {"SchemaFormat": f}


def read(job, stage_name, file, to, link, cols, **kw):
    st, props, meta = seq_read(job, stage_name, file, **kw)
    return st, job.link(link, st, to, cols, out_props=props, out_meta=meta)


def write(job, stage_name, file, frm, link, cols, out=None, ltype=1, **kw):
    st, props, meta = seq_write(job, stage_name, file, **kw)
    return st, job.link(link, frm, st, cols, out=out, in_props=props, in_meta=meta, ltype=ltype)
