//! AWS Signature Version 4 for request headers, written out (HMAC-SHA256
//! from `hmac` + `sha2`). Checked against AWS's published test-suite
//! vectors below.
//!
//! For every service but S3 the canonical URI is the request path encoded
//! once more: a Bedrock model id `a:0` travels as `a%3A0` and is signed as
//! `a%253A0`, as botocore and the AWS SDKs do.

use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::keys::AwsCredentials;
use super::provider::uri_encode;

type HmacSha256 = Hmac<Sha256>;

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` for `t` (UTC).
pub fn amz_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// Howard Hinnant's days → (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The parts of a request that SigV4 signs.
pub struct SignInput<'a> {
    pub method: &'a str,
    /// The path as sent (already percent-encoded), e.g. `/model/a%3A0/converse`.
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Headers to sign (name, value); `host` and `x-amz-date` must be there.
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`
    pub amz_date: &'a str,
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_decode(s: &str) -> String {
    fn hexval(c: u8) -> Option<u8> {
        (c as char).to_digit(16).map(|d| d as u8)
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hexval(b[i + 1]), hexval(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// (canonical request, signed header names `a;b;c`).
pub fn canonical_request(input: &SignInput<'_>) -> (String, String) {
    let mut hs: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(k, v)| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    hs.sort();
    let mut canon_headers = String::new();
    for (k, v) in &hs {
        canon_headers.push_str(&format!("{k}:{v}\n"));
    }
    let signed = hs
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let path = if input.path.is_empty() {
        "/"
    } else {
        input.path
    };
    let canonical_path = if input.service == "s3" {
        path.to_string()
    } else {
        uri_encode(path, true)
    };
    let req = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        input.method,
        canonical_path,
        canonical_query(input.query),
        canon_headers,
        signed,
        input.payload_sha256
    );
    (req, signed)
}

pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// The `Authorization` header value.
pub fn authorization(input: &SignInput<'_>, access_key_id: &str, secret: &str) -> String {
    let (creq, signed) = canonical_request(input);
    let date = &input.amz_date[..8.min(input.amz_date.len())];
    let scope = format!("{date}/{}/{}/aws4_request", input.region, input.service);
    let sts = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        input.amz_date,
        sha256_hex(creq.as_bytes())
    );
    let key = signing_key(secret, date, input.region, input.service);
    let sig = hex(&hmac(&key, sts.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={access_key_id}/{scope}, SignedHeaders={signed}, Signature={sig}"
    )
}

/// Sign a request in place: adds `x-amz-date`, `x-amz-content-sha256`,
/// `x-amz-security-token` (with a session token) and `authorization`.
/// `headers` must hold `host`; every header present is signed.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    method: &str,
    path: &str,
    query: &str,
    headers: &mut Vec<(String, String)>,
    body: &[u8],
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    at: SystemTime,
) {
    let date = amz_date(at);
    let payload = sha256_hex(body);
    headers.push(("x-amz-date".into(), date.clone()));
    headers.push(("x-amz-content-sha256".into(), payload.clone()));
    if let Some(t) = &creds.session_token {
        headers.push(("x-amz-security-token".into(), t.clone()));
    }
    let auth = authorization(
        &SignInput {
            method,
            path,
            query,
            headers,
            payload_sha256: &payload,
            region,
            service,
            amz_date: &date,
        },
        &creds.access_key_id,
        &creds.secret_access_key,
    );
    headers.push(("authorization".into(), auth));
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn suite(method: &str, path: &str, query: &str) -> String {
        let headers = vec![
            ("Host".to_string(), "example.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        let payload = sha256_hex(b"");
        authorization(
            &SignInput {
                method,
                path,
                query,
                headers: &headers,
                payload_sha256: &payload,
                region: "us-east-1",
                service: "service",
                amz_date: "20150830T123600Z",
            },
            "AKIDEXAMPLE",
            SECRET,
        )
    }

    /// AWS SigV4 test suite (aws-sig-v4-test-suite): get-vanilla,
    /// get-vanilla-query-order-key-case, post-vanilla, get-utf8.
    #[test]
    fn aws_test_suite_vectors() {
        let prefix = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";
        for (method, path, query, sig) in [
            (
                "GET",
                "/",
                "",
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            ),
            (
                "GET",
                "/",
                "Param2=value2&Param1=value1",
                "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            ),
            (
                "POST",
                "/",
                "",
                "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
            ),
            // get-utf8: the canonical form percent-encodes the path.
            (
                "GET",
                "/ሴ",
                "",
                "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
            ),
        ] {
            assert_eq!(
                suite(method, path, query),
                format!("{prefix}{sig}"),
                "{method} {path}?{query}"
            );
        }
    }

    #[test]
    fn dates() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        assert_eq!(amz_date(t), "20150830T123600Z");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(amz_date(t), "20000229T000000Z");
    }

    #[test]
    fn double_encoded_path_for_bedrock() {
        let headers = vec![("host".to_string(), "h".to_string())];
        let (creq, _) = canonical_request(&SignInput {
            method: "POST",
            path: "/model/a.b-v1%3A0/converse",
            query: "",
            headers: &headers,
            payload_sha256: "x",
            region: "us-east-1",
            service: "bedrock",
            amz_date: "20150830T123600Z",
        });
        assert!(creq.contains("\n/model/a.b-v1%253A0/converse\n"), "{creq}");
    }
}
