"""The golden cases: each job (through dsx.py), its input files, the
expected output files (worked out by hand from IBM's documented
semantics, see each case's README.md) and the README itself.

Run from the repository root: python3 tests/golden/tools/cases.py
It rewrites tests/golden/<case>/{export,input,expected,README.md,case.json}.
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(__file__))
from dsx import C, Job, read, tree, write  # noqa: E402
import xmlx  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")

DOC = {
    "xf": "https://www.ibm.com/docs/en/watsonx/wdi/2.4.x?topic=transformer-basic-concepts",
    "xfsv": "https://www.ibm.com/docs/en/ws-and-kc?topic=properties-stage-variables-datastage",
    "xfcon": "https://www.ibm.com/docs/en/watsonx/wdi/2.4.x?topic=transformer-basic-concepts",
    "str": "https://docs.intersystems.com/latest/csp/docbook/Doc.View.cls?KEY=RVBS_ftrim (BASIC TRIM: leading, trailing and redundant blanks; no IBM page found in the search index)",
    "null": "https://www.ibm.com/docs/en/cloud-paks/cp-data/5.1.x?topic=datastage-null-handling-functions",
    "nullable": "https://www.ibm.com/docs/SSZJPZ_11.5.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/r_deeref_Nullable.html",
    "seqfmt": "https://www.ibm.com/docs/SSZJPZ_11.5.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/r_deeref_Input_Link_Format_Tab_sequential_file_stage.html",
    "typedef": "https://www.ibm.com/docs/en/iis/11.7?topic=tab-type-defaults",
    "dectype": "https://www.ibm.com/support/knowledgecenter/SSZJPZ_9.1.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/r_deeref_Decimal_Type.html",
    "lookup": "https://www.ibm.com/support/knowledgecenter/SSZJPZ_11.7.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/c_deeref_Lookup_Stage.html",
    "lookupstage": "https://www.ibm.com/docs/en/watsonx/wdi/saas?topic=properties-stage-tab",
    "join": "https://www.ibm.com/support/knowledgecenter/SSZJPZ_11.7.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/c_deeref_Join_Stage.html?view=kc",
    "merge": "https://www.ibm.com/docs/en/SSZJPZ_9.1.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/c_deeref_Merge_Stage.html",
    "agg": "https://www.ibm.com/docs/en/watsonx/wdi/saas?topic=aggregator-stage-tab",
    "aggcalc": "https://www.ibm.com/docs/en/cloud-paks/cp-data/5.4.x?topic=tab-calculation-recalculation-dependent-properties",
    "sort": "https://www.ibm.com/docs/en/cloud-paks/cp-data/5.0.x?topic=sort-stage-tab",
    "sortseq": "https://www.ibm.com/docs/en/watsonx/wdi/saas?topic=stages-sort",
    "advanced": "https://www.ibm.com/docs/en/DSXDOC/dstage/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/advanced.html",
    "remdup": "https://ibm.com/support/knowledgecenter/SSZJPZ_11.3.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/c_deeref_Remove_Duplicates_Stage.html",
    "filter": "https://www.ibm.com/docs/en/watsonx/wdi/saas?topic=f-stage-tab",
    "funnel": "https://www.ibm.com/docs/en/cloud-paks/cp-data/5.3.x?topic=funnel-stage-tab",
    "copy": "https://www.ibm.com/docs/en/DSXDOC/dstage/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/processingdata.html",
    "modify": "https://www.ibm.com/support/knowledgecenter/en/SSZJPZ_11.3.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/r_deeref_Options_Category_modify_stage.html",
    "head": "https://www.ibm.com/docs/en/cloud-paks/cp-data/5.4.x?topic=stages-head",
    "tail": "https://www.ibm.com/docs/en/watsonx/wdi/2.4.x?topic=tail-fast-path",
    "rowgen": "https://www.ibm.com/docs/en/cloud-paks/cp-data/5.4.x?topic=generator-output-tab",
    "switch": "https://www.ibm.com/docs/en/watsonx/wdi/2.4.x?topic=switch-fast-path",
    "pivot": "https://www.ibm.com/support/knowledgecenter/SSZJPZ_11.3.0/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/hpivotsupertask.html",
    "skey": "https://www.ibm.com/docs/en/DSXDOC/dstage/com.ibm.swg.im.iis.ds.parjob.dev.doc/topics/processingdata.html",
    "cdc": "https://www.ibm.com/docs/en/watsonx/wdi/2.4.x?topic=capture-fast-path",
    "sysvar": "https://www.ibm.com/support/knowledgecenter/en/SSZJPZ_11.5.0/com.ibm.swg.im.iis.ds.serverjob.dev.doc/topics/r_dsvjbref_System_Variables.html",
    "macros": "https://ibm.com/support/knowledgecenter/SSZJPZ_11.5.0/com.ibm.swg.im.iis.ds.cliapi.ref.doc/topics/r_dsvjbref_Job_Status_Macros.html",
    "pset": "https://ibm.com/support/knowledgecenter/en/SSZJPZ_11.5.0/com.ibm.swg.im.iis.ds.cliapi.ref.doc/topics/r_common_DSSetParam.html",
    "serverseq": "https://www.ibm.com/support/knowledgecenter/SSZJPZ_11.5.0/com.ibm.swg.im.iis.ds.serverjob.dev.doc/topics/serverjobstages.html",
    "hashed": "https://www.ibm.com/docs/SSZJPZ_11.3.0/com.ibm.swg.im.iis.ds.serverjob.dev.doc/topics/r_dsvjbref_Defining_Hashed_File_Output_Data.html",
    "decconv": "https://ibm.com/docs/SSZJPZ_11.3.0/com.ibm.swg.im.iis.ds.parjob.adref.doc/topics/r_deeadvrf_Decimal_Field_Conversions.html",
    "export": "shared/docs/datastage-reference.md sections 2.13 and 3 (export layouts seen in real exports; IBM documents the export options, not the file layout)",
}

CASES = []

# Extra documentation per case, and what the cited pages do not settle
# (taken from real exports or from shared/docs/datastage-reference.md).
MORE_DOCS = {
    "sort_stable": ["sortseq", "advanced"], "sort_desc": ["sortseq", "advanced"],
    "sort_numeric_spelling": ["sortseq", "advanced"], "head_tail": ["advanced"],
    "funnel_sequence": ["advanced"], "surrogate_key": ["advanced"], "agg_reduce": ["aggcalc"],
    "decimal_format": ["dectype"], "remdup_first": ["advanced"], "remdup_last": ["advanced"],
}
NOTES = {
    "xf_otherwise": "The DSX marks the otherwise link with `Reject \"1\"` on the output pin (datastage-reference.md 2.8); "
                    "the Designer calls it Otherwise/Log.",
    "xf_basic": "Trim without options: leading and trailing blanks removed and inner runs reduced to one "
                "(the BASIC TRIM semantics; the parallel Transformer documents the same default).",
    "sort_stable": "Sequential execution mode is the `Execmode \"seq\"` stage property seen in real exports.",
    "merge_keep": "The unmatched-masters option is written `dropBadMasters\\keepBadMasters` by analogy with the "
                  "Change Capture options of real exports (`keepInsert\\dropInsert`); the Merge property names are not "
                  "in any export at hand.",
    "agg_count": "The count column CNT is declared integer on the output link, so the count is written as an integer.",
    "row_generator": "`records` sits on the output pin (IBM: Number of records is an Output tab property; real exports "
                     "show `records` on the CCustomOutput). The integer default generator (cycle from 0 by 1) is "
                     "IBM's documented default for integer columns; the cited page does not restate it.",
    "pivot_horizontal": "The pivot list is the output column's Derivation, as IBM describes the horizontal pivot mapping.",
    "surrogate_key": "Property layout (`key` tree with `initial` and `type`) as in the real exports of the corpus.",
    "change_capture": "Change codes 0 copy, 1 insert, 2 delete, 3 edit (the stage's default codes).",
    "decimal_format": "IBM, Decimal type / Type defaults: text format = a leading space or '-', then the digits with "
                      "the decimal point; the fixed width (precision digits with leading zeros, full scale) is the "
                      "engine's decimal-to-string rendering.",
    "lookup_legacy_keys": "Layout variant of datastage-reference.md 2.13 (DataStage 7.5/8.0 exports).",
    "lookup_reject_no_linktypes": "Layout variant of datastage-reference.md 2.13.",
    "sort_numeric_spelling": "Layout variant of datastage-reference.md 2.13 (`Ascending`/`Descending` spellings).",
    "server_hashed_notfound": "A hashed file written and read in the same server job: the writing link completes "
                              "before the reference is read; a hashed file keeps one record per key (the last written).",
}


def case(name, job, inputs, expected, checks, docs, unordered=(), xml=False, params=None):
    CASES.append(dict(name=name, job=job, inputs=inputs, expected=expected, checks=checks,
                      docs=docs, unordered=list(unordered), xml=xml, params=params or {}))


def seq_job(name, **kw):
    return Job(name, **kw)


# ---------------------------------------------------------------- Transformer
def xf_basic():
    j = Job("g_xf_basic")
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("NAME", "str", 20), C("AMT", "int")])
    write(j, "tgt", "out.txt", xf, "lnk_out", [
        C("ID", "int", d="lnk_in.ID"),
        C("NAME", "str", 20, d="Upcase(Trim(lnk_in.NAME))"),
        C("TAG", "str", 4, d='If lnk_in.AMT > 120 Then "HIGH" Else "MID"'),
        C("LBL", "str", 30, d='Trim(lnk_in.NAME) : "-" : lnk_in.ID'),
        C("NLEN", "int", d="Len(Trim(lnk_in.NAME))"),
    ], out={"Constraint": "lnk_in.AMT >= 100", "ParsedConstraint": "lnk_in.AMT >= 100"})
    return j


case("xf_basic", xf_basic(),
     {"in.txt": "1,alice,50\n2,bob,150\n3,  carol  smith ,100\n4,dave,99\n"},
     {"out.txt": "2,BOB,HIGH,bob-2,3\n3,CAROL SMITH,MID,carol smith-3,11\n"},
     "Parallel Transformer: a constraint (boundary 99/100 excluded/included), derivations with Trim "
     "(strips leading/trailing blanks and reduces inner runs of blanks to one), Upcase, Len, If/Then/Else, "
     "and `:` concatenation of a string with an integer.",
     ["xf", "xfcon", "str"], unordered=["out.txt"])


def xf_otherwise():
    j = Job("g_xf_otherwise")
    xf = j.stage("xf", "CTransformerStage")
    cols = [C("ID", "int"), C("CODE", "str", 1), C("AMT", "int")]
    read(j, "src", "in.txt", xf, "lnk_in", cols)
    oc = [C("ID", "int", d="lnk_in.ID"), C("CODE", "str", 1, d="lnk_in.CODE")]
    write(j, "tgt_a", "a.txt", xf, "lnk_a", oc, out={"Constraint": 'lnk_in.CODE = "A"', "Reject": "0"})
    write(j, "tgt_big", "big.txt", xf, "lnk_big", oc, out={"Constraint": "lnk_in.AMT > 100", "Reject": "0"})
    write(j, "tgt_rest", "rest.txt", xf, "lnk_rest", oc, out={"Reject": "1"})
    return j


case("xf_otherwise", xf_otherwise(),
     {"in.txt": "1,A,10\n2,B,200\n3,C,5\n4,A,300\n5,D,150\n"},
     {"a.txt": "1,A\n4,A\n", "big.txt": "2,B\n4,A\n5,D\n", "rest.txt": "3,C\n"},
     "Parallel Transformer with two constrained output links and an otherwise link (`Reject \"1\"` on the "
     "output pin): a row satisfying both constraints goes to both links; only rows that no other link took "
     "reach the otherwise link.",
     ["xfcon"], unordered=["a.txt", "big.txt", "rest.txt"])


def server_seq(j, name, file, to, link, cols):
    st = j.stage(name, "CSeqFileStage")
    return st, j.link(link, st, to, cols, out={"FileName": "#DIR#/" + file, "ColDelim": ",", "QuoteChar": "000",
                                               "ColHeaders": "0", "FixedWidth": "0"})


def server_out(j, name, file, frm, link, cols, out=None):
    st = j.stage(name, "CSeqFileStage")
    return st, j.link(link, frm, st, cols, out=out,
                      inp={"FileName": "#DIR#/" + file, "Delimiter": ",", "QuoteChar": "000",
                           "ColHeaders": "0", "Append": "0", "FixedWidth": "0"})


def sv_job(name, stagevars, outcols, incols):
    j = Job(name, server=True)
    xf = j.stage("xf", "CTransformerStage", stagevars=stagevars)
    server_seq(j, "src", "in.txt", xf, "lnk_in", incols)
    server_out(j, "tgt", "out.txt", xf, "lnk_out", outcols)
    return j


case("sv_counter", sv_job("g_sv_counter", [("svCnt", "svCnt + 1", "0", ("4", "10", "0"))],
                          [C("K", "str", 5, d="lnk_in.K"), C("V", "int", d="lnk_in.V"),
                           C("N", "int", d="svCnt"), C("R", "int", d="@INROWNUM")],
                          [C("K", "str", 5), C("V", "int")]),
     {"in.txt": "x,10\ny,20\nx,30\n"},
     {"out.txt": "x,10,1,1\ny,20,2,2\nx,30,3,3\n"},
     "Server job: a stage variable that counts rows (`svCnt = svCnt + 1`, initial value 0) keeps its value "
     "from row to row; `@INROWNUM` numbers the input rows from 1. Server jobs process rows one at a time in "
     "file order, so the output order is defined.",
     ["xfsv", "sysvar", "serverseq"])

case("sv_prev_key", sv_job("g_sv_prev_key", [
    ("svIsNew", 'If lnk_in.K <> svPrev Then 1 Else 0', "0", ("4", "10", "0")),
    ("svPrev", "lnk_in.K", "", ("12", "5", "0"))],
    [C("K", "str", 5, d="lnk_in.K"), C("V", "int", d="lnk_in.V"), C("NEWKEY", "int", d="svIsNew")],
    [C("K", "str", 5), C("V", "int")]),
     {"in.txt": "a,1\na,2\nb,3\nb,4\na,5\n"},
     {"out.txt": "a,1,1\na,2,0\nb,3,1\nb,4,0\na,5,1\n"},
     "Server job, previous-key detection: stage variables are evaluated top to bottom, so `svIsNew` compares "
     "the current key with `svPrev` still holding the previous row's key (initially empty), then `svPrev` is "
     "updated.",
     ["xfsv", "serverseq"])

case("sv_running_total", sv_job("g_sv_running_total", [
    ("svTot", "If lnk_in.K <> svPrev Then lnk_in.AMT Else svTot + lnk_in.AMT", "0", ("4", "10", "0")),
    ("svPrev", "lnk_in.K", "", ("12", "5", "0"))],
    [C("K", "str", 5, d="lnk_in.K"), C("AMT", "int", d="lnk_in.AMT"), C("TOT", "int", d="svTot")],
    [C("K", "str", 5), C("AMT", "int")]),
     {"in.txt": "a,10\na,5\nb,7\nb,1\nb,2\n"},
     {"out.txt": "a,10,10\na,5,15\nb,7,7\nb,1,8\nb,2,10\n"},
     "Server job, running total per key: `svTot` restarts at the row's amount when the key changes and "
     "otherwise adds to its own previous value.",
     ["xfsv", "serverseq"])


def sv_const_job():
    j = Job("g_sv_constant")
    xf = j.stage("xf", "CTransformerStage", stagevars=[("svTag", None, "EU", ("12", "5", "0")),
                                                       ("svFactor", None, "3", ("4", "10", "0"))])
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int")])
    write(j, "tgt", "out.txt", xf, "lnk_out", [C("ID", "int", d="lnk_in.ID"), C("TAG", "str", 5, d="svTag"),
                                                 C("X", "int", d="lnk_in.ID * svFactor")])
    return j


case("sv_constant", sv_const_job(),
     {"in.txt": "1\n2\n"},
     {"out.txt": "1,EU,3\n2,EU,6\n"},
     "Stage variables with an initial value and no derivation keep their initial value on every row "
     "(constants): svTag = 'EU', svFactor = 3.",
     ["xfsv"], unordered=["out.txt"])


# ---------------------------------------------------------------- Lookup
def lookup_job(name, fail, reject=False, legacy=False, views=True):
    j = Job(name, views=views)
    lk = j.stage("lkp", "PxLookup")
    read(j, "src", "in.txt", lk, "lnk_in", [C("ID", "int"), C("CCY", "str", 3)])
    if legacy:
        refcols = [C("CCY", "str", 3, key=1), C("RATE", "int", null=1)]
        inp = {"LookupFail": fail, "ConditionNotMet": fail,
               "Columns": [C("CCY", "str", 3, key=1, d="lnk_in.CCY"), C("RATE", "int", null=1)]}
    else:
        refcols = [C("CCY", "str", 3, key=1, KeyExpression="lnk_in.CCY"), C("RATE", "int", null=1)]
        inp = {"LookupFail": fail, "ConditionNotMet": fail}
    st, props, meta = None, None, None
    from dsx import seq_read
    st, props, meta = seq_read(j, "ref", "ref.txt")
    j.link("lnk_ref", st, lk, refcols, out_props=props, out_meta=meta, inp=inp, ltype=2)
    write(j, "tgt", "out.txt", lk, "lnk_out",
          [C("ID", "int", d="lnk_in.ID"), C("CCY", "str", 3, d="lnk_in.CCY"), C("RATE", "int", null=1, d="lnk_ref.RATE")],
          null_field="")
    if reject:
        write(j, "tgt_rej", "rej.txt", lk, "lnk_rej", [C("ID", "int"), C("CCY", "str", 3)], ltype=3)
    # the stream input pin carries the default actions
    return j


LK_IN = {"in.txt": "1,EUR\n2,USD\n3,GBP\n4,EUR\n", "ref.txt": "EUR,11\nUSD,9\n"}
case("lookup_continue", lookup_job("g_lookup_continue", "continue"), LK_IN,
     {"out.txt": "1,EUR,11\n2,USD,9\n3,GBP,\n4,EUR,11\n"},
     "Lookup, failure action Continue: a stream row without a match is output with the (nullable) reference "
     "column NULL, written as the empty null field value.",
     ["lookup", "lookupstage", "nullable"], unordered=["out.txt"])
case("lookup_drop", lookup_job("g_lookup_drop", "drop"), LK_IN,
     {"out.txt": "1,EUR,11\n2,USD,9\n4,EUR,11\n"},
     "Lookup, failure action Drop: stream rows without a match are dropped.",
     ["lookup", "lookupstage"], unordered=["out.txt"])
case("lookup_reject", lookup_job("g_lookup_reject", "reject", reject=True), LK_IN,
     {"out.txt": "1,EUR,11\n2,USD,9\n4,EUR,11\n", "rej.txt": "3,GBP\n"},
     "Lookup, failure action Reject: stream rows without a match go, with the stream columns, to the reject "
     "link (link type 3) and not to the output.",
     ["lookup", "lookupstage"], unordered=["out.txt", "rej.txt"])
case("lookup_legacy_keys", lookup_job("g_lookup_legacy_keys", "drop", legacy=True), LK_IN,
     {"out.txt": "1,EUR,11\n2,USD,9\n4,EUR,11\n"},
     "Older export layout: the lookup key is written as the `Derivation` of the key column on the Lookup's "
     "reference input pin (no `KeyExpression` on the reference source pin). Failure action Drop.",
     ["lookup", "export"], unordered=["out.txt"])
case("lookup_reject_no_linktypes", lookup_job("g_lookup_reject_nolt", "reject", reject=True, views=False), LK_IN,
     {"out.txt": "1,EUR,11\n2,USD,9\n4,EUR,11\n", "rej.txt": "3,GBP\n"},
     "Export layout without a container view (no `LinkTypes` list): the reject link is marked only by "
     "`LinkType \"3\"` on its pin. Same semantics as lookup_reject.",
     ["lookup", "export"], unordered=["out.txt", "rej.txt"])


# ---------------------------------------------------------------- Join / Merge
def join_job(name, op):
    j = Job(name)
    jn = j.stage("jn", "PxJoin", props={"operator": op, "key": tree("key", "K")})
    read(j, "src_l", "left.txt", jn, "lnk_l", [C("K", "int", key=1), C("LV", "str", 5)])
    read(j, "src_r", "right.txt", jn, "lnk_r", [C("K", "int", key=1), C("RV", "str", 5)])
    if op == "fullouterjoin":
        cols = [C("K_L", "int", null=1, d="lnk_l.K"), C("LV", "str", 5, null=1, d="lnk_l.LV"),
                C("K_R", "int", null=1, d="lnk_r.K"), C("RV", "str", 5, null=1, d="lnk_r.RV")]
    else:
        cols = [C("K", "int", d="lnk_l.K"), C("LV", "str", 5, d="lnk_l.LV"), C("RV", "str", 5, null=1, d="lnk_r.RV")]
    write(j, "tgt", "out.txt", jn, "lnk_out", cols, null_field="")
    return j


J_IN = {"left.txt": "1,a\n2,b\n3,c\n", "right.txt": "2,x\n3,y\n4,z\n3,w\n"}
case("join_inner", join_job("g_join_inner", "innerjoin"), J_IN,
     {"out.txt": "2,b,x\n3,c,w\n3,c,y\n"},
     "Join, inner: keys matched by column name; a key repeated on the right gives one output row per match.",
     ["join"], unordered=["out.txt"])
case("join_left", join_job("g_join_left", "leftouterjoin"), J_IN,
     {"out.txt": "1,a,\n2,b,x\n3,c,w\n3,c,y\n"},
     "Join, left outer: every left row, right columns NULL (empty null field value) when unmatched.",
     ["join"], unordered=["out.txt"])
case("join_full", join_job("g_join_full", "fullouterjoin"), J_IN,
     {"out.txt": ",,4,z\n1,a,,\n2,b,2,x\n3,c,3,w\n3,c,3,y\n"},
     "Join, full outer: both key columns are kept (mapped to K_L and K_R); unmatched sides are NULL.",
     ["join"], unordered=["out.txt"])


def merge_job():
    j = Job("g_merge")
    mg = j.stage("mrg", "PxMerge", props={"key": tree("key", ("K", [("asc\\desc", "asc")])),
                                          "dropBadMasters\\keepBadMasters": "keepBadMasters",
                                          "warnBadMasters": " ", "warnBadUpdates": " "})
    read(j, "src_m", "master.txt", mg, "lnk_m", [C("K", "int", key=1), C("MV", "str", 5)])
    read(j, "src_u", "update.txt", mg, "lnk_u", [C("K", "int", key=1), C("UV", "str", 5)])
    write(j, "tgt", "out.txt", mg, "lnk_out",
          [C("K", "int", d="lnk_m.K"), C("MV", "str", 5, d="lnk_m.MV"), C("UV", "str", 5, null=1, d="lnk_u.UV")],
          null_field="")
    write(j, "tgt_rej", "rej.txt", mg, "lnk_rej", [C("K", "int"), C("UV", "str", 5)], ltype=3)
    return j


case("merge_keep", merge_job(),
     {"master.txt": "1,a\n2,b\n3,c\n", "update.txt": "2,x\n4,y\n"},
     {"out.txt": "1,a,\n2,b,x\n3,c,\n", "rej.txt": "4,y\n"},
     "Merge with unmatched masters kept (`keepBadMasters`): every master row is output, update columns NULL "
     "when no update matches; an update row matching no master goes to the update link's reject link.",
     ["merge"], unordered=["out.txt", "rej.txt"])


# ---------------------------------------------------------------- Aggregator
def agg_job(name, props, outcols):
    j = Job(name)
    ag = j.stage("agg", "PxAggregator", props=props)
    read(j, "src", "in.txt", ag, "lnk_in", [C("K", "str", 3), C("AMT", "int")])
    write(j, "tgt", "out.txt", ag, "lnk_out", outcols)
    return j


AGG_IN = {"in.txt": "a,5\nb,7\na,3\na,10\nb,-1\n"}
case("agg_reduce", agg_job("g_agg_reduce", {
    "method": "hash", "selection": "reduce", "key": tree("key", "K"),
    "reduce": tree("reduce", ("AMT", [("sum", "SUM_AMT"), ("min", "MIN_AMT"), ("max", "MAX_AMT"),
                                      ("preserveType", "preserveType")]))},
    [C("K", "str", 3, d="lnk_in.K"), C("SUM_AMT", "int"), C("MIN_AMT", "int"), C("MAX_AMT", "int")]),
    AGG_IN, {"out.txt": "a,18,3,10\nb,6,-1,7\n"},
    "Aggregator, calculation on AMT grouped by K: sum, minimum and maximum (types preserved, integers).",
    ["agg"], unordered=["out.txt"])
case("agg_count", agg_job("g_agg_count", {
    "method": "hash", "selection": "count", "key": tree("key", "K"), "countField": tree("countField", "CNT")},
    [C("K", "str", 3, d="lnk_in.K"), C("CNT", "int")]),
    AGG_IN, {"out.txt": "a,3\nb,2\n"},
    "Aggregator, count rows per group into the column CNT.",
    ["agg"], unordered=["out.txt"])


# ---------------------------------------------------------------- Sort / RemDup
def sort_job(name, keys, cols, stable=True):
    j = Job(name)
    so = j.stage("srt", "PxSort", props={"operator": "tsort", "key": tree("key", *keys),
                                         "stable": "stable" if stable else " ", "unique": " ", "Execmode": "seq"})
    read(j, "src", "in.txt", so, "lnk_in", cols)
    write(j, "tgt", "out.txt", so, "lnk_out", [C(c.name, c.sqltype, c.prec, d="lnk_in." + c.name) for c in cols])
    return j


SC = [C("K", "str", 3), C("V", "int")]
case("sort_stable", sort_job("g_sort_stable", [("K", [("asc\\desc", "asc"), ("sorted\\clustered", " ")])], SC),
     {"in.txt": "b,1\na,2\nb,3\na,4\nc,5\n"},
     {"out.txt": "a,2\na,4\nb,1\nb,3\nc,5\n"},
     "Sort (sequential execution mode), one ascending key, stable: rows with equal keys keep their input "
     "order. The sequential file after a sequential sort is written in sorted order (order compared exactly).",
     ["sort"])
case("sort_desc", sort_job("g_sort_desc", [("K", [("asc\\desc", "desc")]), ("V", [("asc\\desc", "asc")])], SC),
     {"in.txt": "b,3\na,1\nb,1\nc,2\na,2\n"},
     {"out.txt": "c,2\nb,1\nb,3\na,1\na,2\n"},
     "Sort (sequential), first key descending, second key ascending; order compared exactly.",
     ["sort"])
case("sort_numeric_spelling", sort_job("g_sort_spelling", [("N", [("asc\\desc", "Descending")])],
                                       [C("N", "int"), C("S", "str", 3)]),
     {"in.txt": "2,b\n10,j\n7,g\n"},
     {"out.txt": "10,j\n7,g\n2,b\n"},
     "Export layout variant: the sort direction written `Descending` (instead of `desc`). The key is an "
     "integer column, so 10 sorts above 7 (numeric, not text, order).",
     ["sort", "export"])


def remdup_job(name, keep):
    j = Job(name)
    rd = j.stage("rdp", "PxRemDup", props={"keep": keep, "key": tree("key", "K")})
    so = j.stage("srt", "PxSort", props={"operator": "tsort", "key": tree("key", ("K", [("asc\\desc", "asc")])),
                                         "stable": "stable", "unique": " ", "Execmode": "seq"})
    read(j, "src", "in.txt", so, "lnk_in", SC)
    j.link("lnk_sorted", so, rd, [C("K", "str", 3, d="lnk_in.K"), C("V", "int", d="lnk_in.V")])
    write(j, "tgt", "out.txt", rd, "lnk_out", [C("K", "str", 3, d="lnk_sorted.K"), C("V", "int", d="lnk_sorted.V")])
    return j


RD_IN = {"in.txt": "b,1\na,2\nb,3\na,4\nc,5\n"}
case("remdup_first", remdup_job("g_remdup_first", "first"), RD_IN, {"out.txt": "a,2\nb,1\nc,5\n"},
     "Remove Duplicates after a stable sort on K, keep first: the first row of each key in the sorted "
     "(= input, for ties) order.", ["remdup", "sort"], unordered=["out.txt"])
case("remdup_last", remdup_job("g_remdup_last", "last"), RD_IN, {"out.txt": "a,4\nb,3\nc,5\n"},
     "Remove Duplicates after a stable sort on K, keep last.", ["remdup", "sort"], unordered=["out.txt"])


# ---------------------------------------------------------------- Filter / Switch
def filter_job():
    j = Job("g_filter")
    fl = j.stage("flt", "PxFilter", props={
        "where": tree("where", ("AMT > 100", [("target", "0")]), ("CODE = 'A'", [("target", "1")])),
        "first": " ", "reject": "reject"})
    cols = [C("ID", "int"), C("CODE", "str", 1), C("AMT", "int")]
    read(j, "src", "in.txt", fl, "lnk_in", cols)
    oc = [C("ID", "int", d="lnk_in.ID"), C("CODE", "str", 1, d="lnk_in.CODE"), C("AMT", "int", d="lnk_in.AMT")]
    write(j, "tgt_big", "big.txt", fl, "lnk_big", oc)
    write(j, "tgt_a", "a.txt", fl, "lnk_a", oc)
    write(j, "tgt_rej", "rej.txt", fl, "lnk_rej", [C("ID", "int"), C("CODE", "str", 1), C("AMT", "int")], ltype=3)
    return j


case("filter_where", filter_job(),
     {"in.txt": "1,A,50\n2,B,150\n3,A,200\n4,C,10\n5,B,100\n"},
     {"big.txt": "2,B,150\n3,A,200\n", "a.txt": "1,A,50\n3,A,200\n", "rej.txt": "4,C,10\n5,B,100\n"},
     "Filter with two where clauses routed to output links 0 and 1, `first` off (a row matching both goes to "
     "both) and a reject link for rows matching no clause (100 is not > 100).",
     ["filter"], unordered=["big.txt", "a.txt", "rej.txt"])


def switch_job():
    j = Job("g_switch")
    sw = j.stage("sw", "PxSwitch", props={"selector": "CODE", "case": tree("case", "A=0", "B=1"),
                                          "ifNotFound": "drop", "selection": "user"})
    read(j, "src", "in.txt", sw, "lnk_in", [C("ID", "int"), C("CODE", "str", 1)])
    oc = [C("ID", "int", d="lnk_in.ID"), C("CODE", "str", 1, d="lnk_in.CODE")]
    write(j, "tgt0", "out0.txt", sw, "lnk_0", oc)
    write(j, "tgt1", "out1.txt", sw, "lnk_1", oc)
    return j


case("switch_cases", switch_job(),
     {"in.txt": "1,A\n2,B\n3,C\n4,A\n"},
     {"out0.txt": "1,A\n4,A\n", "out1.txt": "2,B\n"},
     "Switch on the selector column CODE with user-defined cases `A=0`, `B=1`; a value with no case is "
     "dropped (`ifNotFound=drop`).",
     ["switch"], unordered=["out0.txt", "out1.txt"])


# ---------------------------------------------------------------- Funnel / Copy / Modify
def funnel_job(name, op, seq):
    j = Job(name)
    props = {"operator": op}
    if seq:
        props["Execmode"] = "seq"
    fn = j.stage("fun", "PxFunnel", props=props)
    cols = [C("ID", "int"), C("NAME", "str", 5)]
    read(j, "src1", "in1.txt", fn, "lnk_1", cols)
    read(j, "src2", "in2.txt", fn, "lnk_2", cols)
    write(j, "tgt", "out.txt", fn, "lnk_out", [C("ID", "int", d="lnk_1.ID"), C("NAME", "str", 5, d="lnk_1.NAME")])
    return j


FN_IN = {"in1.txt": "3,c\n1,a\n", "in2.txt": "2,b\n5,e\n"}
case("funnel_continuous", funnel_job("g_funnel_cont", "continuous", False), FN_IN,
     {"out.txt": "1,a\n2,b\n3,c\n5,e\n"},
     "Continuous Funnel: the union of both inputs (order undefined).", ["funnel"], unordered=["out.txt"])
case("funnel_sequence", funnel_job("g_funnel_seq", "sequence", True), FN_IN,
     {"out.txt": "3,c\n1,a\n2,b\n5,e\n"},
     "Sequence Funnel (sequential): all rows of the first input link, then all rows of the second; each file "
     "is read by one reader, so the order is defined and compared exactly.", ["funnel"])


def copy_job():
    j = Job("g_copy")
    cp = j.stage("cpy", "PxCopy", props={"force": " "})
    read(j, "src", "in.txt", cp, "lnk_in", [C("ID", "int"), C("NAME", "str", 5), C("AMT", "int")])
    write(j, "tgt1", "all.txt", cp, "lnk_all", [C("ID", "int", d="lnk_in.ID"), C("NAME", "str", 5, d="lnk_in.NAME"),
                                                   C("AMT", "int", d="lnk_in.AMT")])
    write(j, "tgt2", "keys.txt", cp, "lnk_keys", [C("KEY", "int", d="lnk_in.ID", SourceColumn="lnk_in.ID"),
                                                    C("AMT", "int", d="lnk_in.AMT")])
    return j


case("copy_split", copy_job(),
     {"in.txt": "1,a,10\n2,b,20\n"},
     {"all.txt": "1,a,10\n2,b,20\n", "keys.txt": "1,10\n2,20\n"},
     "Copy stage to two links: one with every column, one dropping NAME and renaming ID to KEY in the output "
     "mapping.", ["copy"], unordered=["all.txt", "keys.txt"])


def modify_job():
    j = Job("g_modify")
    md = j.stage("mod", "PxModify", props={"modifyspec": tree("modifyspec", "KEY=ID", "DROP AMT")})
    read(j, "src", "in.txt", md, "lnk_in", [C("ID", "int"), C("NAME", "str", 5), C("AMT", "int")])
    write(j, "tgt", "out.txt", md, "lnk_out", [C("KEY", "int"), C("NAME", "str", 5)])
    return j


case("modify_rename_drop", modify_job(),
     {"in.txt": "1,a,10\n2,b,20\n"},
     {"out.txt": "1,a\n2,b\n"},
     "Modify: specification `KEY=ID` renames a column and `DROP AMT` removes one.", ["modify"],
     unordered=["out.txt"])


def head_tail_job():
    j = Job("g_head_tail")
    hd = j.stage("hd", "PxHead", props={"nrecs": "2", "all": " ", "Execmode": "seq"})
    tl = j.stage("tl", "PxTail", props={"nrecs": "2", "Execmode": "seq"})
    cols = [C("ID", "int")]
    read(j, "src1", "in.txt", hd, "lnk_h", cols)
    read(j, "src2", "in.txt", tl, "lnk_t", cols)
    write(j, "tgt_h", "head.txt", hd, "lnk_ho", [C("ID", "int", d="lnk_h.ID")])
    write(j, "tgt_t", "tail.txt", tl, "lnk_to", [C("ID", "int", d="lnk_t.ID")])
    return j


case("head_tail", head_tail_job(),
     {"in.txt": "5\n3\n9\n1\n7\n"},
     {"head.txt": "5\n3\n", "tail.txt": "1\n7\n"},
     "Head and Tail (sequential mode, 2 records each) on a file read by one reader: the first two and last two "
     "rows in file order (not the smallest/largest).", ["head", "tail"])


def rowgen_job():
    j = Job("g_rowgen")
    rg = j.stage("gen", "PxRowGenerator")
    j.link("lnk_gen", rg, (tgt := j.stage("tgt", "PxSequentialFile")), [C("N", "int")],
           out_props={"records": "3"},
           in_props={"file": tree("file", "#DIR#/out.txt"), "append\\overwrite": "overwrite",
                     "firstLineColumnNames": " "},
           in_meta={"SchemaFormat": "final_delim=end, delim=',', quote=none"})
    return j


case("row_generator", rowgen_job(), {},
     {"out.txt": "0\n1\n2\n"},
     "Row Generator, 3 records, integer column with the default generator (cycle from 0, increment 1).",
     ["rowgen"], unordered=["out.txt"])


def pivot_job():
    j = Job("g_pivot")
    pv = j.stage("pvt", "PxPivot")
    read(j, "src", "in.txt", pv, "lnk_in", [C("ID", "int"), C("Q1", "int"), C("Q2", "int"), C("Q3", "int")])
    write(j, "tgt", "out.txt", pv, "lnk_out", [C("ID", "int", d="ID"), C("QTY", "int", d="Q1,Q2,Q3")])
    return j


case("pivot_horizontal", pivot_job(),
     {"in.txt": "1,10,20,30\n2,5,6,7\n"},
     {"out.txt": "1,10\n1,20\n1,30\n2,5\n2,6\n2,7\n"},
     "Horizontal Pivot: the output column QTY lists Q1,Q2,Q3 in its derivation, so each input row gives three "
     "output rows; ID is repeated.", ["pivot"], unordered=["out.txt"])


def skey_job():
    j = Job("g_surrogate_key")
    sk = j.stage("skg", "PxSurrogateKeyGenerator",
                 props={"key": tree("key", ("SK", [("initial", "1"), ("type", "int32")])), "Execmode": "seq"})
    read(j, "src", "in.txt", sk, "lnk_in", [C("NAME", "str", 5)])
    write(j, "tgt", "out.txt", sk, "lnk_out", [C("SK", "int"), C("NAME", "str", 5, d="lnk_in.NAME")])
    return j


case("surrogate_key", skey_job(),
     {"in.txt": "x\ny\nz\n"},
     {"out.txt": "1,x\n2,y\n3,z\n"},
     "Surrogate Key Generator in sequential mode, initial value 1: consecutive keys in input order.",
     ["skey"])


def cdc_job():
    j = Job("g_change_capture")
    cc = j.stage("cdc", "PxChangeCapture", props={
        "key": tree("key", ("K", [("asc\\desc", "asc")])), "value": tree("value", "V"),
        "keepCopy\\dropCopy": "dropCopy", "keepDelete\\dropDelete": "keepDelete",
        "keepEdit\\dropEdit": "keepEdit", "keepInsert\\dropInsert": "keepInsert"})
    read(j, "src_b", "before.txt", cc, "lnk_before", [C("K", "int", key=1), C("V", "str", 5)])
    read(j, "src_a", "after.txt", cc, "lnk_after", [C("K", "int", key=1), C("V", "str", 5)])
    write(j, "tgt", "out.txt", cc, "lnk_out", [C("K", "int"), C("V", "str", 5), C("change_code", "-6")])
    return j


case("change_capture", cdc_job(),
     {"before.txt": "1,a\n2,b\n3,c\n", "after.txt": "1,a\n2,x\n4,d\n"},
     {"out.txt": "2,x,3\n3,c,2\n4,d,1\n"},
     "Change Capture, explicit key K and value V, copies dropped: insert (code 1) for a key only in after, "
     "delete (code 2, before's values) for a key only in before, edit (code 3) for a changed value.",
     ["cdc"], unordered=["out.txt"])


# ---------------------------------------------------------------- formats
def decimal_job():
    j = Job("g_decimal_format")
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("AMT", "dec", 7, 2)])
    write(j, "tgt", "out.txt", xf, "lnk_out", [C("ID", "int", d="lnk_in.ID"), C("AMT", "dec", 7, 2, d="lnk_in.AMT")])
    return j


case("decimal_format", decimal_job(),
     {"in.txt": "1,12.5\n2,-3.25\n3,0\n4,12345.67\n"},
     {"out.txt": "1, 00012.50\n2,-00003.25\n3, 00000.00\n4, 12345.67\n"},
     "Decimal[7,2] written to a sequential file in the default text format: a leading space or '-', then all "
     "precision digits (leading zeros) with the decimal point and the full scale.",
     ["typedef", "decconv"], unordered=["out.txt"])


def empty_null_job():
    j = Job("g_empty_vs_null")
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("NAME", "str", 5, null=1)])
    write(j, "tgt", "out.txt", xf, "lnk_out", [
        C("ID", "int", d="lnk_in.ID"), C("NAME", "str", 5, null=1, d="lnk_in.NAME"),
        C("FLAG", "str", 1, d='If IsNull(lnk_in.NAME) Then "N" Else If lnk_in.NAME = "" Then "E" Else "V"')],
        null_field="NULL")
    return j


case("empty_vs_null", empty_null_job(),
     {"in.txt": "1,x\n2,\n3,y\n"},
     {"out.txt": "1,x,V\n2,,E\n3,y,V\n"},
     "Sequential file without a null field value: an empty field of a nullable string column is read as an "
     "empty string, not NULL (so IsNull is false and the field is written back empty, not as the output's "
     "null field value `NULL`).",
     ["nullable", "null", "seqfmt"], unordered=["out.txt"])


def null_field_job():
    j = Job("g_null_field")
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("NAME", "str", 5, null=1)], null_field="-")
    write(j, "tgt", "out.txt", xf, "lnk_out", [
        C("ID", "int", d="lnk_in.ID"),
        C("NAME", "str", 5, null=1, d="lnk_in.NAME"),
        C("FLAG", "str", 1, d='If IsNull(lnk_in.NAME) Then "N" Else "V"'),
        C("FIXED", "str", 5, d='NullToValue(lnk_in.NAME, "?")')], null_field="")
    return j


case("null_field_value", null_field_job(),
     {"in.txt": "1,x\n2,-\n3,\n"},
     {"out.txt": "1,x,V,x\n2,,N,?\n3,,V,\n"},
     "Sequential file with a null field value `-` on read and `''` on write: `-` reads as NULL (IsNull true, "
     "NullToValue gives '?'), an empty field reads as an empty string; NULL is written as an empty field.",
     ["nullable", "null"], unordered=["out.txt"])


def header_quote_job():
    j = Job("g_header_quote")
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("NAME", "str", 20)],
         fmt="final_delim=end, delim=',', quote=double", header=True)
    write(j, "tgt", "out.txt", xf, "lnk_out", [C("ID", "int", d="lnk_in.ID"), C("NAME", "str", 20, d="lnk_in.NAME")],
          fmt="final_delim=end, delim='|', quote=none", header=True)
    return j


case("header_quote_delim", header_quote_job(),
     {"in.txt": 'ID,NAME\n1,"Smith, John"\n2,"Doe"\n3,"Roe"\n'},
     {"out.txt": "ID|NAME\n1|Smith, John\n2|Doe\n3|Roe\n"},
     "Sequential file format options both ways: the input has a header line (First Line is Column Names) and "
     "double-quoted fields, one holding the delimiter; the output uses delimiter '|', no quotes and one header "
     "line with the column names.",
     ["seqfmt"], unordered=["out.txt"])


# ---------------------------------------------------------------- macros / parameters
def macro_job():
    j = Job("g_macros")
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int")])
    write(j, "tgt", "out.txt", xf, "lnk_out", [C("ID", "int", d="lnk_in.ID"), C("JOB", "str", 30, d="DSJobName")])
    return j


case("macro_jobname", macro_job(),
     {"in.txt": "1\n2\n"},
     {"out.txt": "1,g_macros\n2,g_macros\n"},
     "Built-in macro DSJobName in a derivation: the job's name.", ["macros"], unordered=["out.txt"])


def pset_job():
    j = Job("g_param_set", params=[("PFX", "X-", "0")], psets=[("PS_GOLD", [("CCY", "EUR"), ("RATE", "3")])])
    xf = j.stage("xf", "CTransformerStage")
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int")])
    write(j, "tgt", "out.txt", xf, "lnk_out", [C("ID", "int", d="lnk_in.ID"),
                                                 C("C", "str", 10, d="PFX : PS_GOLD.CCY"),
                                                 C("R", "int", d="lnk_in.ID * PS_GOLD.RATE")])
    return j


case("param_set", pset_job(),
     {"in.txt": "1\n2\n"},
     {"out.txt": "1,X-EUR,3\n2,X-EUR,6\n"},
     "A job parameter (`PFX`, bare name) and parameter-set references (`PS_GOLD.CCY`, `PS_GOLD.RATE`) in "
     "derivations; values are the defaults of the job and of the set definition in the export.",
     ["pset"], unordered=["out.txt"])


# ---------------------------------------------------------------- server hashed file
def hashed_job():
    j = Job("g_server_hashed", server=True)
    xf = j.stage("xf", "CTransformerStage")
    hf = j.stage("hf", "CHashedFileStage")
    server_seq(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("CCY", "str", 3)])
    server_seq(j, "src_ref", "ref.txt", hf, "lnk_load", [C("CCY", "str", 3, key=1), C("RATE", "int")])
    # the hashed file written by lnk_load (keyed by CCY) and read back as the reference
    hf.inputs[0].inp.update({"FileName": "HF_RATES"})
    j.link("lnk_ref", hf, xf, [C("CCY", "str", 3, key=1), C("RATE", "int")], out={"FileName": "HF_RATES"},
           inp={"Columns": [C("CCY", "str", 3, key=1, d="lnk_in.CCY"), C("RATE", "int")]}, ltype=2)
    server_out(j, "tgt", "out.txt", xf, "lnk_out", [
        C("ID", "int", d="lnk_in.ID"), C("CCY", "str", 3, d="lnk_in.CCY"),
        C("RATE", "int", d="If lnk_ref.NOTFOUND Then 0 Else lnk_ref.RATE"),
        C("FOUND", "str", 1, d='If lnk_ref.NOTFOUND Then "N" Else "Y"')])
    return j


case("server_hashed_notfound", hashed_job(),
     {"in.txt": "1,EUR\n2,USD\n3,GBP\n", "ref.txt": "EUR,10\nUSD,9\nEUR,11\n"},
     {"out.txt": "1,EUR,11,Y\n2,USD,9,Y\n3,GBP,0,N\n"},
     "Server job: a hashed file written from ref.txt (keyed by CCY: a later write of a key replaces the "
     "earlier one, so EUR is 11) and read back as a Transformer reference link; `lnk_ref.NOTFOUND` is true "
     "for GBP. Row order of a server job is the input order.",
     ["hashed", "sysvar", "serverseq"])


# ---------------------------------------------------------------- XML layout
def xml_xf():
    j = Job("g_xml_transformer")
    xf = j.stage("xf", "CTransformerStage", stagevars=[("svDbl", "lnk_in.AMT * 2", "0", ("4", "10", "0"))])
    read(j, "src", "in.txt", xf, "lnk_in", [C("ID", "int"), C("NAME", "str", 10), C("AMT", "int")])
    write(j, "tgt", "out.txt", xf, "lnk_out", [
        C("ID", "int", d="lnk_in.ID"), C("NAME", "str", 10, d="Downcase(lnk_in.NAME)"),
        C("DBL", "int", d="svDbl")], out={"Constraint": "svDbl > 10"})
    return j


case("xml_transformer", xml_xf(),
     {"in.txt": "1,ANN,5\n2,BOB,6\n3,CY,20\n"},
     {"out.txt": "2,bob,12\n3,cy,40\n"},
     "The XML export layout (DSExport / Job / Record / Property / Collection): a Transformer with a stage "
     "variable used in the constraint and in a derivation (6*2=12 > 10, 5*2=10 is not).",
     ["xf", "xfsv", "export"], unordered=["out.txt"], xml=True)

case("xml_lookup", lookup_job("g_xml_lookup", "continue"), LK_IN,
     {"out.txt": "1,EUR,11\n2,USD,9\n3,GBP,\n4,EUR,11\n"},
     "The XML export layout of lookup_continue.",
     ["lookup", "export"], unordered=["out.txt"], xml=True)


def main():
    names = set(sys.argv[1:])
    for c in CASES:
        if names and c["name"] not in names:
            continue
        d = os.path.join(ROOT, c["name"])
        for sub in ("export", "input", "expected"):
            shutil.rmtree(os.path.join(d, sub), ignore_errors=True)
            os.makedirs(os.path.join(d, sub))
        job = c["job"]
        if c["xml"]:
            with open(os.path.join(d, "export", job.name + ".xml"), "w") as f:
                f.write(xmlx.to_xml(job.dsx()))
        else:
            with open(os.path.join(d, "export", job.name + ".dsx"), "w") as f:
                f.write(job.dsx())
        for n, t in c["inputs"].items():
            with open(os.path.join(d, "input", n), "w") as f:
                f.write(t)
        for n, t in c["expected"].items():
            with open(os.path.join(d, "expected", n), "w") as f:
                f.write(t)
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump({"job": job.name, "server": job.server, "unordered": c["unordered"],
                       "params": c["params"]}, f, indent=2)
            f.write("\n")
        kind = "server" if job.server else "parallel"
        lines = ["# %s" % c["name"], "", "%s job `%s` (%s export)." % (kind.capitalize(), job.name,
                                                                       "XML" if c["xml"] else "DSX"), "",
                 "## What it checks", "", c["checks"], "",
                 "## Expected output", "",
                 "Worked out by hand from the documented semantics below, not by running dsmig or its evaluator.",
                 "Row order: " + ("undefined in DataStage for " + ", ".join(c["unordered"]) +
                                  " (compared as sorted lines)." if c["unordered"] else
                                  "defined by DataStage here; compared exactly."), "",
                 "## IBM documentation", ""]
        lines += ["- " + DOC[k] for k in c["docs"] + MORE_DOCS.get(c["name"], [])]
        if c["name"] in NOTES:
            lines += ["", "## Notes", "", NOTES[c["name"]]]
        with open(os.path.join(d, "README.md"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print(len(CASES), "cases")


if __name__ == "__main__":
    main()
