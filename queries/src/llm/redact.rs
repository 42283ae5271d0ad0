//! Scrub secrets from prompt text before it leaves the machine: a second
//! line of defence behind the parse-time pass that keeps secrets out of the
//! IR ([`crate::parse::secrets::scrub_entity`]). Both use the one
//! recogniser, [`crate::parse::secrets::scrub`]: engine-encrypted values,
//! URL user info, Oracle `user/pass@db`, `CONNECT`, `IDENTIFIED BY`, BTEQ
//! `.LOGON`, and values of credential names in `name=value`, `name: value`,
//! `"name": "value"`, connection strings, XML elements and `-password x`.
//!
//! `#PARAM#` references and empty values are kept, as at parse time.

use super::provider::ChatRequest;

pub use crate::parse::secrets::REDACTED;

/// `req` with its system prompt and prompt scrubbed.
pub fn scrub_request(req: &ChatRequest) -> ChatRequest {
    ChatRequest {
        system: scrub(&req.system),
        prompt: scrub(&req.prompt),
        ..req.clone()
    }
}

pub fn scrub(text: &str) -> String {
    crate::parse::secrets::scrub(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_form() {
        let cases = [
            ("Password=s3cr3t", "Password=<redacted>"),
            (
                "USER=scott PASSWORD = tiger1 HOST=db",
                "USER=scott PASSWORD = <redacted> HOST=db",
            ),
            (
                "Server=db;Database=x;User Id=u;Pwd=p@ss;Encrypt=yes",
                "Server=db;Database=x;User Id=u;Pwd=<redacted>;Encrypt=yes",
            ),
            (
                r#"{"password": "hunter2", "user": "u"}"#,
                r#"{"password": "<redacted>", "user": "u"}"#,
            ),
            ("api_key: abc123", "api_key: <redacted>"),
            (
                "<Password>tiger</Password>",
                "<Password><redacted></Password>",
            ),
            (
                "<Password><![CDATA[ti]ger]]></Password>",
                "<Password><![CDATA[<redacted>]]></Password>",
            ),
            ("value {iisenc}AbC+/== end", "value <redacted> end"),
            ("dsn={dsnenc}x1y2", "dsn=<redacted>"),
            (
                "oraenc -password Tiger#2024 -user u",
                "oraenc -password <redacted> -user u",
            ),
            (
                "jdbc:postgresql://etl:Sup3rS3cret@db.example:5432/dw",
                "jdbc:postgresql://etl:<redacted>@db.example:5432/dw",
            ),
            ("secret_token='x y z'", "secret_token='<redacted>'"),
            (
                "<Password modified='1' type='string'><![CDATA[Tr0ub4dor&3]]></Password>",
                "<Password modified='1' type='string'><![CDATA[<redacted>]]></Password>",
            ),
            (
                "         Name \"Password\"\n         Value \"Tr0ub4dor&3\"\n",
                "         Name \"Password\"\n         Value \"<redacted>\"\n",
            ),
            (
                r#"{"name":"DBPassword","value":{"Text":"x"}}, {"name": "Pwd", "value": "hunter2"}"#,
                r#"{"name":"DBPassword","value":{"Text":"x"}}, {"name": "Pwd", "value": "<redacted>"}"#,
            ),
        ];
        for (input, want) in cases {
            assert_eq!(scrub(input), want, "{input}");
        }
    }

    #[test]
    fn keeps_references_and_prose() {
        for s in [
            "Password=#DB_PASSWORD#",
            "Password=",
            "Password=<redacted>",
            "Never write a password in the code.",
            "the password is kept in the Glue connection",
            "https://example.com/path?x=1",
            "user@host",
            "Passwörter: ",
            "<Password/>",
            "Value \"/Connection/Password\"",
            "Name \"Password\"\n Value \"#DB_PASSWORD#\"",
        ] {
            assert_eq!(scrub(s), s);
        }
    }

    #[test]
    fn multibyte_text_survives() {
        let s = "Kennwort für ß: Password=gehéim€ und weiter ✓";
        assert_eq!(scrub(s), "Kennwort für ß: Password=<redacted> und weiter ✓");
    }
}
