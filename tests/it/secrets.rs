//! Secrets by value, not only by name: one distinct marker planted in each
//! place a credential hides in a DataStage export, in each of the three
//! formats (DSX text, DataStage XML, istool ISX). The real binary then
//! builds (Glue with an LLM phase against a local mock, SQL in every
//! dialect), reports, explains, analyses and dumps the IR; every output
//! file, every console line, every entry of the store (inflated) and every
//! request the mock received is searched. No marker may be found.
//!
//! Run with `cargo test --test it secrets:: -- --nocapture` to see the table.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use queries::ir::{Entity, Located, PropValue};
use queries::parse::Limits;
use queries::parse::input::read_file;
use queries::store::Store;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const FORMATS: [&str; 3] = ["dsx", "xml", "isx"];

/// Where a marker is planted, and how (the text around it).
const PLACES: &[(&str, &str)] = &[
    ("param_pass", "default of a parameter named DB_PASS"),
    ("param_token", "default of a parameter named API_TOKEN"),
    ("param_encrypted", "default of an Encrypted parameter"),
    ("param_url", "parameter default postgres://etl:S@host"),
    ("param_aes", "parameter default {aes}S"),
    ("connstr", "stage property DSN=..;PWD=S"),
    ("conn_server", "connector Server=db1;Uid=..;PWD=S;"),
    ("xml_password", "connector <Password>S</Password>"),
    ("iisenc", "connector Username {iisenc}S"),
    ("select_sql", "user SQL with jdbc:oracle:thin:u/S@h"),
    ("before_sql", "before SQL CONNECT u/S@db"),
    ("after_sql", "after SQL IDENTIFIED BY S"),
    ("derivation", "derivation \"jdbc:postgresql://u:S@h\""),
    ("stage_var", "stage variable In.PASSWORD = \"S\""),
    ("annotation", "annotation password=S"),
    ("desc_short", "job short description pwd: S"),
    ("desc_long", "job long description Password=\"S\""),
    ("column_desc", "column description pwd=S"),
    ("routine_src", "routine source Password = \"S\""),
    ("routine_logon", "routine source .LOGON tdp/u,S"),
    ("routine_desc", "routine description sqlplus u/S@db"),
    ("activity_param", "job activity DB_PASS = \"S\""),
    ("exec_command", "exec command sqlplus -s u/S@db"),
    ("ps_default", "parameter set Encrypted default"),
    ("ps_value", "parameter set value of an Encrypted parameter"),
    ("ps_conn", "parameter set value Server=..;Pwd=S"),
];

fn marker(place: &str, fmt: &str) -> String {
    format!("S3CR3T_{place}_{fmt}_x9")
}

// ------------------------------------------------------------- the model

/// A record of the DSX / XML record model.
struct Rec {
    id: String,
    ole: String,
    props: Vec<(String, String)>,
    colls: Vec<Coll>,
}

struct Coll {
    name: String,
    class: String,
    items: Vec<Vec<(String, String)>>,
}

struct Block {
    tag: &'static str,
    ident: String,
    recs: Vec<Rec>,
}

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

fn rec(id: &str, ole: &str, props: Vec<(String, String)>, colls: Vec<Coll>) -> Rec {
    Rec {
        id: id.into(),
        ole: ole.into(),
        props,
        colls,
    }
}

fn coll(name: &str, class: &str, items: Vec<Vec<(String, String)>>) -> Coll {
    Coll {
        name: name.into(),
        class: class.into(),
        items,
    }
}

/// The secrets of one format, by place.
struct Planted {
    fmt: &'static str,
}

impl Planted {
    fn m(&self, place: &str) -> String {
        assert!(PLACES.iter().any(|(p, _)| *p == place), "{place}");
        marker(place, self.fmt)
    }

    fn job(&self) -> String {
        format!("SecJob_{}", self.fmt)
    }

    fn connector_xml(&self) -> String {
        format!(
            "<?xml version='1.0' encoding='UTF-16'?><Properties version='1.1'><Common><Context type='int'>1</Context><Variant type='string'>3.5</Variant></Common>\
             <Connection><Server modified='1' type='string'><![CDATA[Server=db1;Uid=etl;PWD={};]]></Server>\
             <Username modified='1' type='string'><![CDATA[{{iisenc}}{}]]></Username>\
             <Password modified='1' type='string'><![CDATA[{}]]></Password></Connection>\
             <Usage><ReadMode type='int'><![CDATA[0]]></ReadMode><GenerateSQL modified='1' type='bool'><![CDATA[0]]></GenerateSQL>\
             <SQL><SelectStatement modified='1' type='string'><![CDATA[SELECT PASSWORD, B FROM SRC.T WHERE SRC_URL <> 'jdbc:oracle:thin:scott/{}@orahost:1521:ORCL']]></SelectStatement></SQL>\
             <BeforeAfter modified='1' type='bool'><![CDATA[1]]><BeforeSQL modified='1' type='string'><![CDATA[CONNECT etl/{}@orcl]]></BeforeSQL>\
             <AfterSQL modified='1' type='string'><![CDATA[ALTER USER etl IDENTIFIED BY {}]]></AfterSQL></BeforeAfter></Usage></Properties >",
            self.m("conn_server"),
            self.m("iisenc"),
            self.m("xml_password"),
            self.m("select_sql"),
            self.m("before_sql"),
            self.m("after_sql"),
        )
    }

    fn routine_source(&self) -> String {
        format!(
            "Password = \"{}\"\nCall DSExecute(\"UNIX\", \"bteq <<EOF\" : Char(10) : \".LOGON tdp1/etl,{};\" : Char(10) : \"EOF\", Out, Rc)\nAns = Rc",
            self.m("routine_src"),
            self.m("routine_logon")
        )
    }

    /// The DSX / XML blocks: a parallel job, a sequence, a routine and a
    /// parameter set.
    fn blocks(&self) -> Vec<Block> {
        let f = self.fmt;
        let param = |name: &str, ty: &str, default: String| {
            vec![
                p("Name", name),
                p("Prompt", name),
                p("Default", default),
                p("ParamType", ty),
            ]
        };
        let job = Block {
            tag: "DSJOB",
            ident: self.job(),
            recs: vec![
                rec(
                    "ROOT",
                    "CJobDefn",
                    vec![
                        p("Name", self.job()),
                        p(
                            "Description",
                            format!("Loads T. pwd: {}", self.m("desc_short")),
                        ),
                        p(
                            "FullDescription",
                            format!("Connection: Password=\"{}\"", self.m("desc_long")),
                        ),
                        p("JobType", "3"),
                    ],
                    vec![coll(
                        "Parameters",
                        "CParameters",
                        vec![
                            param("DB_PASS", "0", self.m("param_pass")),
                            param("API_TOKEN", "0", self.m("param_token")),
                            param("ENC_VALUE", "1", self.m("param_encrypted")),
                            param(
                                "CONN_URL",
                                "0",
                                format!("postgres://etl:{}@pg.example/dw", self.m("param_url")),
                            ),
                            param("OPT_CIPHER", "0", format!("{{aes}}{}", self.m("param_aes"))),
                            param("KEY_COL", "0", "CUST_ID".into()),
                        ],
                    )],
                ),
                rec(
                    "V0A1",
                    "CAnnotation",
                    vec![p(
                        "AnnotationText",
                        format!(
                            "Service account etl, password={} (ask ops)",
                            self.m("annotation")
                        ),
                    )],
                    vec![],
                ),
                rec(
                    "V0S1",
                    "CCustomStage",
                    vec![
                        p("Name", "SrcDb"),
                        p("OutputPins", "V0S1P1"),
                        p("StageType", "ODBCConnectorPX"),
                    ],
                    vec![coll(
                        "Properties",
                        "CCustomProperty",
                        vec![
                            vec![p("Name", "ConnectorName"), p("Value", "ODBCConnector")],
                            vec![
                                p("Name", "ConnectionString"),
                                p("Value", format!("DSN=dw;UID=etl;PWD={}", self.m("connstr"))),
                            ],
                            vec![p("Name", "Password"), p("Value", "#DB_PASS#")],
                            vec![p("Name", "XMLProperties"), p("Value", self.connector_xml())],
                        ],
                    )],
                ),
                rec(
                    "V0S1P1",
                    "CCustomOutput",
                    vec![p("Name", "lnk_src"), p("Partner", "V0S2|V0S2P1")],
                    vec![coll(
                        "Columns",
                        "COutputColumn",
                        vec![
                            vec![
                                p("Name", "PASSWORD"),
                                p("SqlType", "12"),
                                p("Precision", "20"),
                                p("Description", format!("pwd={}", self.m("column_desc"))),
                            ],
                            vec![p("Name", "B"), p("SqlType", "4")],
                        ],
                    )],
                ),
                rec(
                    "V0S2",
                    "CTransformerStage",
                    vec![
                        p("Name", "Xfm"),
                        p("InputPins", "V0S2P1"),
                        p("OutputPins", "V0S2P2"),
                        p("StageType", "CTransformerStage"),
                    ],
                    vec![coll(
                        "StageVars",
                        "CStageVar",
                        vec![vec![
                            p("Name", "svFlag"),
                            p(
                                "Expression",
                                format!(
                                    "If lnk_src.PASSWORD = \"{}\" Then 1 Else 0",
                                    self.m("stage_var")
                                ),
                            ),
                            p("InitialValue", "0"),
                            p("SqlType", "4"),
                        ]],
                    )],
                ),
                rec(
                    "V0S2P1",
                    "CTrxInput",
                    vec![p("Name", "lnk_src"), p("Partner", "V0S1|V0S1P1")],
                    vec![],
                ),
                rec(
                    "V0S2P2",
                    "CTrxOutput",
                    vec![p("Name", "lnk_out"), p("Partner", "V0S3|V0S3P1")],
                    vec![coll(
                        "Columns",
                        "COutputColumn",
                        vec![
                            vec![
                                p("Name", "PASSWORD"),
                                p("SqlType", "12"),
                                p("Precision", "20"),
                                p("Derivation", "lnk_src.PASSWORD"),
                            ],
                            vec![
                                p("Name", "SRC_URL"),
                                p("SqlType", "12"),
                                p("Precision", "200"),
                                p(
                                    "Derivation",
                                    format!(
                                        "\"jdbc:postgresql://etl:{}@pg.example/dw\"",
                                        self.m("derivation")
                                    ),
                                ),
                            ],
                            vec![
                                p("Name", "B"),
                                p("SqlType", "4"),
                                // A user routine call: SEMI-AUTO, so the
                                // LLM phase is asked to fill it in.
                                p("Derivation", format!("DSU.R_{f}(lnk_src.B)")),
                            ],
                        ],
                    )],
                ),
                rec(
                    "V0S3",
                    "CCustomStage",
                    vec![
                        p("Name", "Tgt"),
                        p("InputPins", "V0S3P1"),
                        p("StageType", "PxSequentialFile"),
                    ],
                    vec![],
                ),
                rec(
                    "V0S3P1",
                    "CCustomInput",
                    vec![
                        p("Name", "lnk_out"),
                        p("Partner", "V0S2|V0S2P2"),
                        p("LinkType", "1"),
                    ],
                    vec![],
                ),
            ],
        };
        let seq = Block {
            tag: "DSJOB",
            ident: format!("SecSeq_{f}"),
            recs: vec![
                rec(
                    "ROOT",
                    "CJobDefn",
                    vec![p("Name", format!("SecSeq_{f}")), p("JobType", "2")],
                    vec![],
                ),
                rec(
                    "V0S1",
                    "CJSJobActivity",
                    vec![
                        p("Name", "RunJob"),
                        p("StageType", "CJSJobActivity"),
                        p("Jobname", self.job()),
                    ],
                    vec![coll(
                        "ParamValues",
                        "CJSParamValue",
                        vec![
                            vec![
                                p("Name", "DB_PASS"),
                                p("ParamValue", format!("\"{}\"", self.m("activity_param"))),
                            ],
                            vec![p("Name", "KEY_COL"), p("ParamValue", "\"CUST_ID\"")],
                        ],
                    )],
                ),
                rec(
                    "V0S2",
                    "CJSExecCmdActivity",
                    vec![
                        p("Name", "RunSql"),
                        p("StageType", "CJSExecCmdActivity"),
                        p(
                            "CommandName",
                            format!("sqlplus -s etl/{}@orcl @load.sql", self.m("exec_command")),
                        ),
                    ],
                    vec![],
                ),
            ],
        };
        let routine = Block {
            tag: "DSROUTINES",
            ident: String::new(),
            recs: vec![rec(
                &format!("R_{f}"),
                "CRoutine",
                vec![
                    p("Name", format!("R_{f}")),
                    p("RoutineType", "1"),
                    p(
                        "ShortDesc",
                        format!("Runs sqlplus etl/{}@orcl", self.m("routine_desc")),
                    ),
                    p("Source", self.routine_source()),
                ],
                vec![],
            )],
        };
        let pset = Block {
            tag: "DSPARAMETERSETS",
            ident: String::new(),
            recs: vec![rec(
                &format!("PS_{f}"),
                "CParameterSet",
                vec![p("Name", format!("PS_{f}"))],
                vec![
                    coll(
                        "Parameters",
                        "CParameters",
                        vec![
                            param("pw", "1", self.m("ps_default")),
                            param("conn", "0", "Server=ora1".into()),
                        ],
                    ),
                    coll(
                        "ValueSets",
                        "CValueSet",
                        vec![vec![
                            p("Name", "prod"),
                            p("pw", self.m("ps_value")),
                            p(
                                "conn",
                                format!("Server=ora1;Uid=etl;Pwd={}", self.m("ps_conn")),
                            ),
                        ]],
                    ),
                ],
            )],
        };
        vec![job, seq, routine, pset]
    }

    // ---------------------------------------------------------- writers

    fn dsx(&self) -> String {
        fn q(v: &str) -> String {
            v.replace('\\', "\\\\").replace('"', "\\\"")
        }
        fn prop(out: &mut String, ind: usize, k: &str, v: &str) {
            let pad = " ".repeat(ind);
            if v.contains('\n') {
                out.push_str(&format!("{pad}{k} =+=+=+=\n{v}\n=+=+=+=\n"));
            } else {
                out.push_str(&format!("{pad}{k} \"{}\"\n", q(v)));
            }
        }
        let mut out = String::from(
            "BEGIN HEADER\n   CharacterSet \"UTF-8\"\n   ServerVersion \"11.7\"\nEND HEADER\n",
        );
        for b in self.blocks() {
            out.push_str(&format!("BEGIN {}\n", b.tag));
            if !b.ident.is_empty() {
                prop(&mut out, 3, "Identifier", &b.ident);
            }
            for r in &b.recs {
                out.push_str("   BEGIN DSRECORD\n");
                prop(&mut out, 6, "Identifier", &r.id);
                prop(&mut out, 6, "OLEType", &r.ole);
                for (k, v) in &r.props {
                    prop(&mut out, 6, k, v);
                }
                for c in &r.colls {
                    prop(&mut out, 6, &c.name, &c.class);
                    for item in &c.items {
                        out.push_str("      BEGIN DSSUBRECORD\n");
                        for (k, v) in item {
                            prop(&mut out, 9, k, v);
                        }
                        out.push_str("      END DSSUBRECORD\n");
                    }
                }
                out.push_str("   END DSRECORD\n");
            }
            out.push_str(&format!("END {}\n", b.tag));
        }
        out
    }

    fn xml(&self) -> String {
        let mut out = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DSExport>\n  <Header CharacterSet=\"UTF-8\" ServerVersion=\"11.7\"/>\n",
        );
        let prop = |out: &mut String, ind: usize, k: &str, v: &str| {
            let pre = if v.contains('\n') {
                " PreFormatted=\"1\""
            } else {
                ""
            };
            out.push_str(&format!(
                "{}<Property Name=\"{k}\"{pre}>{}</Property>\n",
                " ".repeat(ind),
                esc(v)
            ));
        };
        for b in self.blocks() {
            let el = match b.tag {
                "DSJOB" => "Job",
                "DSROUTINES" => "Routines",
                _ => "ParameterSets",
            };
            if b.ident.is_empty() {
                out.push_str(&format!("  <{el}>\n"));
            } else {
                out.push_str(&format!("  <{el} Identifier=\"{}\">\n", esc(&b.ident)));
            }
            for r in &b.recs {
                let ty = r.ole.strip_prefix('C').unwrap_or(&r.ole);
                out.push_str(&format!(
                    "    <Record Identifier=\"{}\" Type=\"{ty}\" Readonly=\"0\">\n",
                    esc(&r.id)
                ));
                for (k, v) in &r.props {
                    prop(&mut out, 6, k, v);
                }
                for c in &r.colls {
                    let cls = c.class.strip_prefix('C').unwrap_or(&c.class);
                    out.push_str(&format!(
                        "      <Collection Name=\"{}\" Type=\"{cls}\">\n",
                        c.name
                    ));
                    for item in &c.items {
                        out.push_str("        <SubRecord>\n");
                        for (k, v) in item {
                            prop(&mut out, 10, k, v);
                        }
                        out.push_str("        </SubRecord>\n");
                    }
                    out.push_str("      </Collection>\n");
                }
                out.push_str("    </Record>\n");
            }
            out.push_str(&format!("  </{el}>\n"));
        }
        out.push_str("</DSExport>\n");
        out
    }

    /// The same design as istool XMI members.
    fn isx_members(&self) -> Vec<(String, String)> {
        const NS: &str = r##"xmlns:ds="http:///com/ibm/datastage/ai/dtm/ds.ecore" xmlns:xmi="http://www.omg.org/XMI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""##;
        let f = self.fmt;
        let m = |place: &str| esc(&self.m(place));
        let pdef = |id: u32, name: &str, default: &str, ext: &str| {
            format!(
                r##"  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" xmi:id="{id}" name="{name}" defaultValue="{}" typeCode="String"{ext}/>
"##,
                esc(default)
            )
        };
        let enc = r##" extendedType="Encrypted""##;
        let mut job = format!(
            r##"<?xml version="1.1" encoding="UTF-8"?>
<ds:DSJobDefSDO {NS} xmi:id="1" name="{}" jobType="Parallel" dSJobType="3" shortDescription="Loads T. pwd: {}" longDescription="Connection: Password=&quot;{}&quot;">
"##,
            self.job(),
            m("desc_short"),
            m("desc_long")
        );
        job.push_str(&pdef(2, "DB_PASS", &self.m("param_pass"), ""));
        job.push_str(&pdef(3, "API_TOKEN", &self.m("param_token"), ""));
        job.push_str(&pdef(4, "ENC_VALUE", &self.m("param_encrypted"), enc));
        job.push_str(&pdef(
            5,
            "CONN_URL",
            &format!("postgres://etl:{}@pg.example/dw", self.m("param_url")),
            "",
        ));
        job.push_str(&pdef(
            6,
            "OPT_CIPHER",
            &format!("{{aes}}{}", self.m("param_aes")),
            "",
        ));
        job.push_str(&pdef(7, "KEY_COL", "CUST_ID", ""));
        job.push_str(&format!(
            r##"  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="10" name="SrcDb" internalID="V0S1" stageType="ODBCConnectorPX" stageTypeClassName="CustomStage" outputPins="V0S1P1">
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="12" parameterName="ConnectorName" valueExpression="ODBCConnector"/>
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="13" parameterName="ConnectionString" valueExpression="DSN=dw;UID=etl;PWD={}"/>
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="14" parameterName="Password" valueExpression="#DB_PASS#"/>
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="15" parameterName="XMLProperties" valueExpression="{}"/>
    <has_OutputPin xsi:type="ds:DSOutputPinSDO" xmi:id="11" internalID="V0S1P1" partner="V0S2|V0S2P1"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="20" name="Xfm" internalID="V0S2" stageType="CTransformerStage" stageTypeClassName="TransformerStage" inputPins="V0S2P1" outputPins="V0S2P2">
    <contains_StageVariable xsi:type="ds:DSStageVariableSDO" xmi:id="23" name="svFlag" sequenceNumber="1" expression="If lnk_src.PASSWORD = &quot;{}&quot; Then 1 Else 0" initialValue="0" oDBCType="Integer"/>
    <has_InputPin xsi:type="ds:DSInputPinSDO" xmi:id="26" internalID="V0S2P1" partner="V0S1|V0S1P1" linkType="1"/>
    <has_OutputPin xsi:type="ds:DSOutputPinSDO" xmi:id="27" internalID="V0S2P2" partner="V0S3|V0S3P1"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="30" name="Tgt" internalID="V0S3" stageType="PxSequentialFile" stageTypeClassName="CustomStage" inputPins="V0S3P1">
    <has_InputPin xsi:type="ds:DSInputPinSDO" xmi:id="31" internalID="V0S3P1" partner="V0S2|V0S2P2" linkType="1"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSLinkSDO" xmi:id="40" name="lnk_src" linkType="Primary" from_OutputPin="11" to_InputPin="26">
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="41" name="PASSWORD" oDBCType="VarChar" maximumLength="20" shortDescription="pwd={}"/>
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="42" name="B" oDBCType="Integer"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSLinkSDO" xmi:id="50" name="lnk_out" linkType="Primary" from_OutputPin="27" to_InputPin="31">
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="51" name="PASSWORD" oDBCType="VarChar" maximumLength="20">
      <hasValue_Derivation xsi:type="ds:DSDerivationSDO" xmi:id="52" expression="lnk_src.PASSWORD"/>
    </contains_FlowVariable>
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="53" name="SRC_URL" oDBCType="VarChar" maximumLength="200">
      <hasValue_Derivation xsi:type="ds:DSDerivationSDO" xmi:id="54" expression="&quot;jdbc:postgresql://etl:{}@pg.example/dw&quot;"/>
    </contains_FlowVariable>
    <contains_FlowVariable xsi:type="ds:DSFlowVariableSDO" xmi:id="55" name="B" oDBCType="Integer">
      <hasValue_Derivation xsi:type="ds:DSDerivationSDO" xmi:id="56" expression="DSU.R_{f}(lnk_src.B)"/>
    </contains_FlowVariable>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSAnnotationSDO" xmi:id="70" internalID="V0A1" annotationText="Service account etl, password={} (ask ops)"/>
</ds:DSJobDefSDO>
"##,
            m("connstr"),
            esc(&self.connector_xml()),
            m("stage_var"),
            m("column_desc"),
            m("derivation"),
            m("annotation"),
        ));
        let seq = format!(
            r##"<?xml version="1.1" encoding="UTF-8"?>
<ds:DSJobDefSDO {NS} xmi:id="1" name="SecSeq_{f}" jobType="Sequence" dSJobType="2">
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="10" name="RunJob" internalID="V0S1" stageType="CJSJobActivity" stageTypeClassName="JSJobActivity" jobname="{}">
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="11" parameterName="DB_PASS" valueExpression="&quot;{}&quot;"/>
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="12" parameterName="KEY_COL" valueExpression="&quot;CUST_ID&quot;"/>
  </contains_JobObject>
  <contains_JobObject xsi:type="ds:DSStageSDO" xmi:id="20" name="RunSql" internalID="V0S2" stageType="CExecCommandActivity" stageTypeClassName="JSExecCmdActivity">
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="21" parameterName="Path" valueExpression="sqlplus"/>
    <has_ParameterVal xsi:type="ds:DSParameterValSDO" xmi:id="22" parameterName="Parameters" valueExpression="-s etl/{}@orcl @load.sql"/>
  </contains_JobObject>
</ds:DSJobDefSDO>
"##,
            self.job(),
            m("activity_param"),
            m("exec_command"),
        );
        let routine = format!(
            r##"<?xml version="1.1" encoding="UTF-8"?>
<ds:DSRoutineSDO {NS} xmi:id="1" name="R_{f}" routineType="1" shortDescription="Runs sqlplus etl/{}@orcl" sourceCode="{}"/>
"##,
            m("routine_desc"),
            esc(&self.routine_source()).replace('\n', "&#xA;"),
        );
        let pset = format!(
            r##"<?xml version="1.1" encoding="UTF-8"?>
<ds:DSParameterSetSDO {NS} name="PS_{f}">
  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" name="pw" defaultValue="{}" typeCode="String" extendedType="Encrypted"/>
  <has_ParameterDef xsi:type="ds:DSParameterDefSDO" name="conn" defaultValue="Server=ora1" typeCode="String"/>
  <has_ValueSet name="prod"><has_ParameterVal parameterName="pw" valueExpression="{}"/><has_ParameterVal parameterName="conn" valueExpression="Server=ora1;Uid=etl;Pwd={}"/></has_ValueSet>
</ds:DSParameterSetSDO>
"##,
            m("ps_default"),
            m("ps_value"),
            m("ps_conn"),
        );
        vec![
            (format!("P/Jobs/{}.pjb", self.job()), job),
            (format!("P/Jobs/SecSeq_{f}.qjb"), seq),
            (format!("P/Routines/R_{f}.srt"), routine),
            (format!("P/Params/PS_{f}.pst"), pset),
        ]
    }

    fn isx(&self) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("META-INF/IS-MANIFEST.MF", opts).unwrap();
        w.write_all(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Manifest/>")
            .unwrap();
        for (name, text) in self.isx_members() {
            w.start_file(name, opts).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// The export in its format, and its text (ISX: the members').
    fn export(&self) -> (String, Vec<u8>, String) {
        match self.fmt {
            "dsx" => {
                let t = self.dsx();
                ("secrets.dsx".into(), t.clone().into_bytes(), t)
            }
            "xml" => {
                let t = self.xml();
                ("secrets.xml".into(), t.clone().into_bytes(), t)
            }
            _ => {
                let text = self
                    .isx_members()
                    .into_iter()
                    .map(|(_, t)| t)
                    .collect::<Vec<_>>()
                    .join("\n");
                ("secrets.isx".into(), self.isx(), text)
            }
        }
    }
}

fn esc(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

// ------------------------------------------------------------ mock LLM

/// Answers every chat call with its prompt's code unchanged: whatever the
/// answer, only the requests matter here.
struct Echo;

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let prompt = body["messages"]
            .as_array()
            .and_then(|m| m.last())
            .and_then(|m| m["content"].as_str())
            .unwrap_or("");
        let (lang, code) = ["python", "sql"]
            .iter()
            .find_map(|l| {
                let fence = format!("```{l}\n");
                let block = prompt.rsplit(fence.as_str()).next()?;
                prompt
                    .contains(fence.as_str())
                    .then(|| (*l, block.split("```").next().unwrap_or("").to_string()))
            })
            .unwrap_or(("python", "def dsmig_mock():\n    return None\n".into()));
        let text = format!("Here it is.\n\n```{lang}\n{code}```\n");
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "chatcmpl-mock",
            "object": "chat.completion",
            "created": 1741570283,
            "model": "mock-coder",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
        }))
    }
}

// ------------------------------------------------------------- running

struct Project {
    _dir: tempfile::TempDir,
    root: PathBuf,
    console: Vec<(String, Vec<u8>)>,
}

impl Project {
    fn run(&mut self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_dsmig"))
            .current_dir(&self.root)
            .args(args)
            .env_remove("OPENAI_API_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("dsmig runs");
        let what = args.join(" ");
        self.console
            .push((format!("stdout of {what}"), out.stdout.clone()));
        self.console
            .push((format!("stderr of {what}"), out.stderr.clone()));
        out
    }

    fn ok(&mut self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "dsmig {}: {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// A marker in any case, also with `-` or nothing for its `_`: names made
/// from a secret (a Glue connection name, an identifier) count as leaks.
/// `hay` is already lower-cased.
fn leaks(hay: &str, marker: &str) -> bool {
    let m = marker.to_ascii_lowercase();
    hay.contains(&m) || hay.contains(&m.replace('_', "-")) || hay.contains(&m.replace('_', ""))
}

fn job<'a>(entities: &'a [Located], name: &str) -> &'a queries::ir::Job {
    entities
        .iter()
        .find_map(|l| match &l.entity {
            Entity::Job(j) if j.name == name => Some(j),
            _ => None,
        })
        .unwrap_or_else(|| panic!("job {name}"))
}

#[test]
fn planted_secrets_reach_no_output_store_log_or_prompt() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(MockServer::start());
    rt.block_on(
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(Echo)
            .mount(&server),
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_path_buf();
    std::fs::write(
        root.join("dsmig.toml"),
        format!(
            "[llm]\nprovider = \"openai_compatible\"\nmodel = \"mock-coder\"\nbase_url = \"{}/v1\"\nmax_concurrency = 2\n",
            server.uri()
        ),
    )
    .expect("dsmig.toml");
    let input = root.join("exports");
    std::fs::create_dir_all(&input).unwrap();

    // Plant, and check that every marker is in its input.
    let mut planted: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    for fmt in FORMATS {
        let pl = Planted { fmt };
        let (name, bytes, text) = pl.export();
        std::fs::write(input.join(&name), &bytes).unwrap();
        for (place, _) in PLACES {
            planted.insert((place, fmt), text.contains(&marker(place, fmt)));
        }
        // What must survive: the design around the secrets.
        let (_, entities, diags) = read_file(&input.join(&name), &Limits::default());
        assert!(
            diags
                .iter()
                .all(|d| d.severity != queries::parse::Severity::Error),
            "{fmt}: {diags:?}"
        );
        let j = job(&entities, &pl.job());
        let param = |n: &str| {
            j.parameters
                .iter()
                .find(|p| p.name == n)
                .map(|p| p.default.as_str())
                .unwrap_or_else(|| panic!("{fmt}: parameter {n}"))
        };
        assert_eq!(param("KEY_COL"), "CUST_ID", "{fmt}");
        assert_eq!(param("DB_PASS"), "<redacted>", "{fmt}");
        assert_eq!(
            param("CONN_URL"),
            "postgres://etl:<redacted>@pg.example/dw",
            "{fmt}"
        );
        let src = j.stages.iter().find(|s| s.name == "SrcDb").expect("SrcDb");
        let text_prop = |n: &str| {
            src.properties
                .iter()
                .find(|p| p.name == n)
                .and_then(|p| p.value.as_text())
                .unwrap_or_else(|| panic!("{fmt}: property {n}"))
        };
        assert_eq!(text_prop("Password"), "#DB_PASS#", "{fmt}");
        assert_eq!(
            text_prop("ConnectionString"),
            "DSN=dw;UID=etl;PWD=<redacted>",
            "{fmt}"
        );
        let conn: BTreeMap<&str, &str> = src
            .properties
            .iter()
            .find_map(|p| match &p.value {
                PropValue::Connector(pairs) => Some(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                ),
                _ => None,
            })
            .expect("connector properties");
        assert_eq!(
            conn["Connection/Server"],
            "Server=db1;Uid=etl;PWD=<redacted>;"
        );
        assert_eq!(
            conn["Usage/SQL/SelectStatement"],
            "SELECT PASSWORD, B FROM SRC.T WHERE SRC_URL <> 'jdbc:oracle:thin:scott/<redacted>@orahost:1521:ORCL'"
        );
        assert_eq!(
            conn["Usage/BeforeAfter/BeforeSQL"],
            "CONNECT etl/<redacted>@orcl"
        );
        assert_eq!(
            conn["Usage/BeforeAfter/AfterSQL"],
            "ALTER USER etl IDENTIFIED BY <redacted>"
        );
        let cols: Vec<&str> = j
            .links
            .iter()
            .flat_map(|l| l.columns.iter().map(|c| c.name.as_str()))
            .collect();
        assert!(cols.contains(&"PASSWORD"), "{fmt}: {cols:?}");
        let xfm = j.stages.iter().find(|s| s.name == "Xfm").expect("Xfm");
        assert_eq!(
            xfm.transformer.as_ref().unwrap().stage_vars[0].expression,
            "If lnk_src.PASSWORD = \"<redacted>\" Then 1 Else 0"
        );
    }
    assert!(planted.values().all(|p| *p), "a marker was not planted");

    let mut pj = Project {
        _dir: dir,
        root: root.clone(),
        console: Vec::new(),
    };
    let inp = input.display().to_string();
    // The Glue target with the LLM phase, and its report.
    pj.ok(&[
        "build",
        &inp,
        "--summary-json",
        "summary_glue.json",
        "--report",
        "report_build.html",
    ]);
    // The SQL target in every dialect; PostgreSQL with the LLM too.
    pj.ok(&[
        "build",
        &inp,
        "--target",
        "sql",
        "--dialect",
        "postgres",
        "--output-dir",
        "gen_sql_postgres",
    ]);
    for d in ["ansi", "oracle", "sqlserver", "teradata"] {
        let out = format!("gen_sql_{d}");
        pj.ok(&[
            "build",
            &inp,
            "--target",
            "sql",
            "--dialect",
            d,
            "--output-dir",
            &out,
            "--no-llm",
        ]);
    }
    pj.ok(&["report", &inp, "-o", "report.html"]);
    pj.ok(&["analyze", &inp, "-f", "json", "-o", "analyze.json"]);
    pj.ok(&["analyze", &inp, "-f", "json"]);
    pj.ok(&["analyze", &inp]);
    pj.ok(&["dump-ir", &inp]);
    for fmt in FORMATS {
        for j in [format!("SecJob_{fmt}"), format!("SecSeq_{fmt}")] {
            pj.ok(&["explain", &j, &inp]);
            pj.ok(&["explain", &j, &inp, "--json"]);
        }
    }
    pj.ok(&["plan", &inp, "--json"]);

    // Everything that came out.
    let mut haystacks: Vec<(String, Vec<u8>)> = std::mem::take(&mut pj.console);
    let mut files = 0;
    for f in walk(&root) {
        if f.starts_with(&input) {
            continue;
        }
        files += 1;
        haystacks.push((
            f.strip_prefix(&root).unwrap().display().to_string(),
            std::fs::read(&f).unwrap(),
        ));
    }
    let store = Store::open(&root.join(".dsmig-store"), false).expect("store");
    let entries = store.every_entry().expect("store entries");
    let n_entries = entries.len();
    for (table, bytes) in entries {
        haystacks.push((format!("store table {table}"), bytes));
    }
    drop(store);
    let requests = rt
        .block_on(server.received_requests())
        .expect("recording on");
    for (i, r) in requests.iter().enumerate() {
        haystacks.push((format!("LLM request {i}"), r.body.clone()));
        let headers: String = r
            .headers
            .iter()
            .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or("")))
            .collect();
        haystacks.push((format!("LLM request {i} headers"), headers.into_bytes()));
    }
    let redacted_prompts = requests
        .iter()
        .filter(|r| contains(&r.body, "<redacted>"))
        .count();

    // The table.
    let lowered: Vec<String> = haystacks
        .iter()
        .map(|(_, h)| String::from_utf8_lossy(h).to_ascii_lowercase())
        .collect();
    let mut found: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    for (place, _) in PLACES {
        for fmt in FORMATS {
            let m = marker(place, fmt);
            let wheres: Vec<String> = haystacks
                .iter()
                .zip(&lowered)
                .filter(|(_, h)| leaks(h, &m))
                .map(|((w, _), _)| w.clone())
                .collect();
            found.insert((place, fmt), wheres);
        }
    }
    println!(
        "searched {files} output files, {n_entries} store keys and values, {} console streams, {} LLM requests ({redacted_prompts} with <redacted>)",
        haystacks
            .iter()
            .filter(|(w, _)| w.starts_with("stdout") || w.starts_with("stderr"))
            .count(),
        requests.len()
    );
    println!(
        "\n{:<16} {:<48} {:>9} {:>9} {:>9}",
        "place", "how", "dsx", "xml", "isx"
    );
    let mut total_planted = 0;
    let mut total_found = 0;
    for (place, how) in PLACES {
        let cells: Vec<String> = FORMATS
            .iter()
            .map(|fmt| {
                let pl = planted[&(*place, *fmt)];
                let n = found[&(*place, *fmt)].len();
                total_planted += pl as usize;
                total_found += (n > 0) as usize;
                format!("{}/{}", pl as u8, n)
            })
            .collect();
        println!(
            "{place:<16} {how:<48} {:>9} {:>9} {:>9}",
            cells[0], cells[1], cells[2]
        );
    }
    println!(
        "(planted/found: found counts the outputs holding the marker)\nplanted {total_planted}, found {total_found}"
    );
    let leaks: Vec<String> = found
        .iter()
        .filter(|(_, w)| !w.is_empty())
        .map(|((p, f), w)| format!("{p}/{f} in {}", w.join(", ")))
        .collect();
    assert!(leaks.is_empty(), "leaked:\n{}", leaks.join("\n"));
    assert!(
        !requests.is_empty(),
        "the LLM phase sent nothing: {}",
        std::fs::read_to_string(root.join("summary_glue.json")).unwrap_or_default()
    );

    // Glue connection names come from the server name, never from the
    // connection string.
    for (what, bytes) in &haystacks {
        let text = String::from_utf8_lossy(bytes);
        for (at, _) in text.match_indices("DSMIG_CONNECTION_") {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(
                // The bare prefix: the script's own docstring (`<SERVER>`).
                name == "DSMIG_CONNECTION_DB1"
                    || name == "DSMIG_CONNECTION_DEFAULT"
                    || name == "DSMIG_CONNECTION_",
                "{what}: {name}"
            );
        }
    }
}
