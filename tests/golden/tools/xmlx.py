"""Authoring aid: the DSX text written by dsx.py in the Designer's XML
export layout (DSExport / Header / Job / Record Type=OLEType without the
leading C / Property / Collection / SubRecord)."""
import re
from xml.sax.saxutils import escape, quoteattr

LINE = re.compile(r'^\s*(\w+) "((?:[^"\\]|\\.)*)"$')


def unq(s):
    return s.replace('\\"', '"').replace("\\\\", "\\")


def to_xml(dsx):
    lines = dsx.splitlines()
    out = ['<?xml version="1.0" encoding="UTF-8"?>', "<DSExport>"]
    i = 0
    header = {}
    while i < len(lines):
        ln = lines[i].strip()
        if ln == "BEGIN HEADER":
            i += 1
            while lines[i].strip() != "END HEADER":
                m = LINE.match(lines[i])
                header[m.group(1)] = unq(m.group(2))
                i += 1
            out.append("   <Header %s/>" % " ".join("%s=%s" % (k, quoteattr(v)) for k, v in header.items()))
        elif ln == "BEGIN DSJOB":
            attrs = {}
            i += 1
            while not lines[i].strip().startswith("BEGIN"):
                m = LINE.match(lines[i])
                attrs[m.group(1)] = unq(m.group(2))
                i += 1
            out.append("   <Job %s>" % " ".join("%s=%s" % (k, quoteattr(v)) for k, v in attrs.items()))
            while lines[i].strip() != "END DSJOB":
                if lines[i].strip() == "BEGIN DSRECORD":
                    i = record(lines, i + 1, out)
                else:
                    i += 1
            out.append("   </Job>")
        elif ln == "BEGIN DSPARAMETERSETS":
            i += 1
            while lines[i].strip() != "END DSPARAMETERSETS":
                if lines[i].strip() == "BEGIN DSRECORD":
                    out.append("   <ParameterSets>")
                    i = record(lines, i + 1, out)
                    out.append("   </ParameterSets>")
                else:
                    i += 1
        i += 1
    out.append("</DSExport>")
    return "\n".join(out) + "\n"


def record(lines, i, out):
    props = []
    colls = []
    cur = None
    while lines[i].strip() != "END DSRECORD":
        s = lines[i].strip()
        if s == "BEGIN DSSUBRECORD":
            sub = []
            i += 1
            while lines[i].strip() != "END DSSUBRECORD":
                m = LINE.match(lines[i])
                sub.append((m.group(1), unq(m.group(2))))
                i += 1
            cur[2].append(sub)
        else:
            m = LINE.match(lines[i])
            k, v = m.group(1), unq(m.group(2))
            if i + 1 < len(lines) and lines[i + 1].strip() == "BEGIN DSSUBRECORD":
                cur = (k, v[1:] if v.startswith("C") else v, [])
                colls.append(cur)
            else:
                props.append((k, v))
        i += 1
    d = dict(props)
    ident = d.pop("Identifier")
    ole = d.pop("OLEType")
    typ = ole[1:] if ole.startswith("C") else ole
    out.append("      <Record Identifier=%s Type=%s Readonly=\"0\">" % (quoteattr(ident), quoteattr(typ)))
    for k, v in props:
        if k in ("Identifier", "OLEType", "Readonly"):
            continue
        out.append('         <Property Name="%s">%s</Property>' % (k, escape(v)))
    for name, typ, subs in colls:
        out.append('         <Collection Name="%s" Type="%s">' % (name, typ))
        for sub in subs:
            out.append("            <SubRecord>")
            for k, v in sub:
                out.append('               <Property Name="%s">%s</Property>' % (k, escape(v)))
            out.append("            </SubRecord>")
        out.append("         </Collection>")
    out.append("      </Record>")
    return i
