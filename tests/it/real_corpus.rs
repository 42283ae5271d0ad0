//! Every real export under ../shared/corpus/real must be read: job counts
//! per file equal the counts in SOURCES.md (taken by its authors with their
//! own tools), no errors, and per-job stage and link counts equal counts
//! taken independently (see the table's comment).

use std::collections::BTreeMap;

use queries::inventory;
use queries::parse::Limits;
use queries::parse::Severity;
use queries::parse::input::read_paths;

use crate::common::real_corpus as corpus;

fn relative(path: &str) -> String {
    path.split("corpus/real/")
        .nth(1)
        .unwrap_or(path)
        .to_string()
}

/// "file here" → leading number of "jobs inside", from SOURCES.md.
fn sources_md_counts() -> BTreeMap<String, usize> {
    let text = std::fs::read_to_string(corpus().join("SOURCES.md")).expect("SOURCES.md");
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains("."))
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | # | repo | path | commit | license | size | format | jobs inside | version | file here | notes |
        if cells.len() < 11 || cells[1].parse::<u32>().is_err() {
            continue;
        }
        let jobs: usize = cells[8]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("job count");
        out.insert(cells[10].to_string(), jobs);
    }
    out
}

#[test]
fn every_real_export_is_read_with_the_documented_job_counts() {
    let read = read_paths(&[corpus()], &Limits::default());
    let errors: Vec<String> = read
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "errors on real exports:\n{}",
        errors.join("\n")
    );
    let skipped: Vec<String> = read
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Skipped)
        .map(|d| relative(&d.location.file))
        .collect();
    assert_eq!(skipped, vec!["SOURCES.md".to_string()]);

    let expected = sources_md_counts();
    assert_eq!(expected.len(), 78, "SOURCES.md lists 78 files");
    let found: BTreeMap<String, usize> = read
        .files
        .iter()
        .filter(|f| f.format.is_some())
        .map(|f| (relative(&f.path), f.jobs))
        .collect();
    assert_eq!(found, expected);
    let total: usize = found.values().sum();
    assert_eq!(total, 115);
}

/// (file, line of BEGIN DSJOB, job, stages, links). Stages counted from each
/// job's container view (`StageList` entries that are not annotations),
/// links from the number of output pin records (`OLEType "C…Output"`), by a
/// separate script over the raw text; see the issue note.
const DSX_COUNTS: &[(&str, u64, &str, usize, usize)] = &[
    (
        "FatmaNabilEbrahim__DataStage-Project-Retail-DataWarehousing/CaseStudyQ1.dsx",
        12,
        "case_study_Q1",
        9,
        8,
    ),
    (
        "FatmaNabilEbrahim__DataStage-Project-Retail-DataWarehousing/CaseStudyQ1Test.dsx",
        12,
        "CopyOfcase_study",
        11,
        10,
    ),
    (
        "FatmaNabilEbrahim__DataStage-Project-Retail-DataWarehousing/CaseStudyQ2.dsx",
        12,
        "CaseStudy_Q2_2",
        11,
        8,
    ),
    (
        "FatmaNabilEbrahim__DataStage-Project-Retail-DataWarehousing/CaseStudyQ2_update.dsx",
        12,
        "CaseStudy_Q2_Update",
        11,
        11,
    ),
    (
        "HassanHosny2001__DataStage/ACTIVATION_SALES_DATA_MART.dsx",
        12,
        "ACTIVATION_SALES_DATA_MART",
        14,
        13,
    ),
    (
        "HassanHosny2001__DataStage/Retail_Data_Mart.dsx",
        12,
        "Retail_Data_Mart",
        9,
        8,
    ),
    (
        "MohamedKaram97__ETL-Data-Stage/Final_Job1.dsx",
        12,
        "Job1",
        9,
        8,
    ),
    (
        "MohamedKaram97__ETL-Data-Stage/Final_Job2.dsx",
        12,
        "job2",
        12,
        11,
    ),
    (
        "RadwaEsamiel__DataStage-ETL-Retail-Analytics/ACTIVATIONSALES_DATA_MART",
        12,
        "ACTIVATIONSALES_DATA_MART",
        3,
        2,
    ),
    (
        "RadwaEsamiel__DataStage-ETL-Retail-Analytics/ACTIVATIONSALES_DATA_MART_Bonus",
        12,
        "ACTIVATIONSALES_DATA_MART_Bonus",
        9,
        8,
    ),
    (
        "RadwaEsamiel__DataStage-ETL-Retail-Analytics/RETAIL_DATA_MART",
        12,
        "RETAIL_DATA_MART",
        9,
        8,
    ),
    (
        "SalmaAhmed6__Retail-Store-Data-Modeling-and-Analysis-using-DataStage/Activationsales_data_mart.dsx",
        12,
        "Activationsales_data_mart",
        9,
        6,
    ),
    (
        "SalmaAhmed6__Retail-Store-Data-Modeling-and-Analysis-using-DataStage/Retail_data_mart.dsx",
        12,
        "Retail_Data_Mart",
        9,
        8,
    ),
    (
        "Sherif4__Retail-industry-ETL-Datastage/CaseStudy.dsx",
        12,
        "ACTIVATION_SALES_DATA_MART",
        14,
        13,
    ),
    (
        "Sherif4__Retail-industry-ETL-Datastage/CaseStudy.dsx",
        4775,
        "Retail_Data_Mart",
        9,
        8,
    ),
    (
        "abdullahasm99__IBM-DataStage-Project/RETAIL_DATA_MART.dsx",
        12,
        "RETAIL_DATA_MART",
        9,
        8,
    ),
    (
        "entechlog__datastage-examples/AuditDataStageJobLogs.dsx",
        12,
        "AuditDataStageJobLogs",
        4,
        3,
    ),
    (
        "entechlog__datastage-examples/ClearDS_RTLogRTStatus.dsx",
        12,
        "ClearDS_RTLogRTStatus",
        3,
        2,
    ),
    (
        "entechlog__datastage-examples/FindJobsByKeyWord.dsx",
        12,
        "Batch::FindJobsByKeyWord",
        0,
        0,
    ),
    (
        "entechlog__datastage-examples/FindJobsByKeyWord.dsx",
        513,
        "FindJobsByKeyWord010ext",
        7,
        7,
    ),
    (
        "entechlog__datastage-examples/FindJobsByKeyWord.dsx",
        2381,
        "FindJobsByKeyWord020ext",
        5,
        4,
    ),
    (
        "entechlog__datastage-examples/FindJobsByKeyWord.dsx",
        3679,
        "FindJobsByKeyWord030load",
        4,
        3,
    ),
    (
        "fernandokarnagi__ibm-datastage-javaintegration-sample/Sample.dsx",
        12,
        "IntValueGenerator",
        2,
        1,
    ),
    (
        "fernandokarnagi__ibm-datastage-javaintegration-sample/Sample.dsx",
        493,
        "JavaBeansTransformer",
        4,
        3,
    ),
    (
        "fernandokarnagi__ibm-datastage-javaintegration-sample/Sample.dsx",
        2033,
        "JavaPackTransformer",
        4,
        3,
    ),
    (
        "fernandokarnagi__ibm-datastage-javaintegration-sample/Sample.dsx",
        3496,
        "RCP",
        3,
        2,
    ),
    (
        "fernandokarnagi__ibm-datastage-javaintegration-sample/Sample.dsx",
        4389,
        "Transformer",
        4,
        3,
    ),
    (
        "fernandokarnagi__ibm-datastage-javaintegration-sample/Sample.dsx",
        5956,
        "UserDefinedFunction",
        4,
        3,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        12,
        "WTXHipaaClaims",
        3,
        2,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        861,
        "WTXMultipleInputs",
        4,
        3,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        1997,
        "WTXSourceAllTypes",
        2,
        1,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        3100,
        "WTXStatesExample",
        3,
        2,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        3759,
        "WTXTargetAllTypes",
        2,
        1,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        4838,
        "WTXTransformAllTypes",
        3,
        2,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        6742,
        "WTXTransformAllTypesAsStrings",
        3,
        2,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        8644,
        "WTXTransformAllTypesPerRow",
        4,
        3,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        9836,
        "WTXTransformFixedWidth",
        3,
        2,
    ),
    (
        "ibmwtx__DataStage-Integration/WTXJobs.dsx",
        11186,
        "WTXTransformUnicode",
        3,
        2,
    ),
    (
        "islamyounis__Retail-Store-Data-Modeling-using-DataStage/Q1.dsx",
        12,
        "project_question_1",
        10,
        9,
    ),
    (
        "islamyounis__Retail-Store-Data-Modeling-using-DataStage/Q2.dsx",
        12,
        "datastage_project_question_2",
        9,
        6,
    ),
    (
        "israa-aly__Retail-Star-Schema-DataWarehouse-ETL-Using-DataStage/CaseStudyQ1.dsx",
        12,
        "caseStudy1",
        9,
        8,
    ),
    (
        "israa-aly__Retail-Star-Schema-DataWarehouse-ETL-Using-DataStage/CaseStudyQ2.dsx",
        12,
        "CaseStudy_Q2_2",
        11,
        8,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/BookingChannelDimJob.dsx",
        12,
        "DimBookingChannelJob",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/DimAircraft.dsx",
        12,
        "DimAircraft",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/DimAirport.dsx",
        12,
        "DimAirport",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/DimPassenger.dsx",
        12,
        "DimPassenger",
        12,
        13,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/DimTier.dsx",
        12,
        "DimTier",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Export.dsx",
        12,
        "DimAircraft",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Export.dsx",
        2554,
        "DimAirport",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Export.dsx",
        5021,
        "DimPassenger",
        12,
        13,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Export.dsx",
        12666,
        "DimTier",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactCustomerInteractionJob.dsx",
        12,
        "FactCustomerInteractionJob",
        8,
        7,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactCustomerInteractionJob.dsx",
        4831,
        "FactCustomerInteractionJob",
        8,
        7,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactFlightUpgrade.dsx",
        12,
        "FactFlightUpgradeJob",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactLoyalty.dsx",
        12,
        "FactLoyalty22",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactOvernightStayJob.dsx",
        12,
        "FactOvernightStayJob",
        10,
        9,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactPayment.dsx",
        12,
        "FactPayment",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FactPromotionResponses.dsx",
        12,
        "FactPromotionResponses",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Fact_FlightCost.dsx",
        12,
        "FactFlightCosts",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Fact_Reservations.dsx",
        12,
        "Fact_Reservations",
        7,
        6,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/Fact_Ticket.dsx",
        12,
        "FactTicket",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/FlightsDimJob.dsx",
        12,
        "DimFlightsJob",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/PromotionsDimJob.dsx",
        12,
        "DimPromotionsJob",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/dim_fare_class.dsx",
        12,
        "dim_fare_class",
        4,
        3,
    ),
    (
        "mariam-tahaa__Airline_Datastage_Pipeline/dim_routes.dsx",
        12,
        "dim_routes",
        4,
        3,
    ),
    (
        "nwasany74__Retail-Store-Data-Modeling-and-Analysis-using-DataStage/finalproject job1.dsx",
        12,
        "job1",
        8,
        7,
    ),
    (
        "nwasany74__Retail-Store-Data-Modeling-and-Analysis-using-DataStage/finalproject job2.dsx",
        12,
        "job2",
        14,
        11,
    ),
    (
        "omarramadan22__Retail_data_ETL_using_data_stage/CaseJob2bouns.dsx",
        12,
        "task2",
        11,
        10,
    ),
    (
        "omarramadan22__Retail_data_ETL_using_data_stage/frst_job.dsx",
        12,
        "job_RETAIL_DATA_MART",
        9,
        8,
    ),
    (
        "omarramadan22__Retail_data_ETL_using_data_stage/second_job.dsx",
        12,
        "final_ques",
        8,
        7,
    ),
    (
        "shoroukabdelraouf__Retail-Sales-Data-with-IBM-InfoSphere-DataStage/countfirstjob.dsx",
        12,
        "countfirstjob",
        3,
        2,
    ),
    (
        "shoroukabdelraouf__Retail-Sales-Data-with-IBM-InfoSphere-DataStage/maxprofit.dsx",
        12,
        "RETAIL_DATA_MART",
        12,
        11,
    ),
    (
        "shoroukabdelraouf__Retail-Sales-Data-with-IBM-InfoSphere-DataStage/questionone.dsx",
        12,
        "joins",
        9,
        8,
    ),
    (
        "yassa3__IBM_DataStage_ETL/ACTIVATION_SALES_DATA_MART.dsx",
        12,
        "ACTIVATION_SALES_DATA_MART",
        13,
        12,
    ),
    (
        "yassa3__IBM_DataStage_ETL/Retail_Data_Mart.dsx",
        12,
        "RETAIL_DATA_MART",
        9,
        8,
    ),
];

#[test]
fn dsx_stage_and_link_counts_match_independent_counts() {
    let read = read_paths(&[corpus()], &Limits::default());
    let inv = inventory::build(&read, &Default::default());
    let ours: BTreeMap<(String, u64), (String, usize, usize)> = inv
        .jobs
        .iter()
        .filter(|j| j.format == "dsx")
        .map(|j| {
            (
                (relative(&j.file), j.line.unwrap_or(0)),
                (j.name.clone(), j.stages, j.links),
            )
        })
        .collect();
    assert_eq!(ours.len(), DSX_COUNTS.len());
    for (file, line, name, stages, links) in DSX_COUNTS {
        let got = ours.get(&(file.to_string(), *line));
        assert_eq!(
            got,
            Some(&(name.to_string(), *stages, *links)),
            "{file}:{line}"
        );
    }
}

#[test]
fn xml_fragment_is_read_as_one_job() {
    let read = read_paths(
        &[corpus().join("astronomer__orbiter-community-translations/demo.xml")],
        &Limits::default(),
    );
    let inv = inventory::build(&read, &Default::default());
    assert_eq!(inv.jobs.len(), 1);
    let j = &inv.jobs[0];
    assert_eq!(
        (j.name.as_str(), j.stages, j.links, j.kind.as_str()),
        ("DataStage_Job", 2, 0, "unknown")
    );
    assert_eq!(j.stage_types.get("Peek"), Some(&1));
}

#[test]
fn byte_identical_files_give_identical_job_hashes() {
    let a = read_paths(
        &[corpus()
            .join("FatmaNabilEbrahim__DataStage-Project-Retail-DataWarehousing/CaseStudyQ2.dsx")],
        &Limits::default(),
    );
    let b = read_paths(
        &[corpus().join(
            "israa-aly__Retail-Star-Schema-DataWarehouse-ETL-Using-DataStage/CaseStudyQ2.dsx",
        )],
        &Limits::default(),
    );
    assert_eq!(a.entities[0].hash, b.entities[0].hash);
}

#[test]
fn a_job_hashes_the_same_alone_and_in_a_multi_job_export() {
    // Export.dsx holds DimAircraft among four jobs; DimAircraft.dsx holds it
    // alone (re-exported separately: the hashes agree when the designs do).
    let multi = read_paths(
        &[corpus().join("mariam-tahaa__Airline_Datastage_Pipeline/Export.dsx")],
        &Limits::default(),
    );
    let single =
        read_paths(
            &[corpus()
                .join("mariam-tahaa__Airline_Datastage_Pipeline/FactCustomerInteractionJob.dsx")],
            &Limits::default(),
        );
    assert_eq!(
        multi
            .entities
            .iter()
            .filter(|e| e.entity.as_job().is_some())
            .count(),
        4
    );
    // FactCustomerInteractionJob.dsx holds the same job twice (appended export).
    let jobs: Vec<_> = single
        .entities
        .iter()
        .filter(|e| e.entity.as_job().is_some())
        .collect();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0].hash, jobs[1].hash);
}
