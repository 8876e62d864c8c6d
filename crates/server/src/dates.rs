//! Review timestamps: parsing the forms that review exports use and
//! formatting the RFC 3339 form that the API returns. Times are kept as Unix
//! seconds in UTC everywhere else.

use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// A timestamp that is none of the accepted forms.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{value:?} is not a date; expected 2025-01-10, 2025-01-10 08:00:00 UTC \
     or RFC 3339 such as 2025-01-10T08:00:00Z"
)]
pub struct DateError {
    /// The rejected value, shortened.
    pub value: String,
}

/// Parses `2025-01-10` (midnight UTC), `2025-01-10 08:00:00 UTC` (the
/// suffix may be left out) or RFC 3339 with any offset, into Unix seconds.
pub fn parse_timestamp(raw: &str) -> Result<i64, DateError> {
    let value = raw.trim();
    let error = || DateError {
        value: value.chars().take(40).collect(),
    };

    if let Ok(moment) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(moment.unix_timestamp());
    }

    let without_zone = value.strip_suffix("UTC").map_or(value, str::trim_end);
    let date_time = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    if let Ok(moment) = PrimitiveDateTime::parse(without_zone, &date_time) {
        return Ok(moment.assume_utc().unix_timestamp());
    }

    let date = format_description!("[year]-[month]-[day]");
    match Date::parse(value, &date) {
        Ok(day) => Ok(day.midnight().assume_utc().unix_timestamp()),
        Err(_) => Err(error()),
    }
}

/// Formats Unix seconds as RFC 3339 in UTC, such as `2025-03-02T10:12:00Z`.
/// Values outside the years 1 to 9999 are clamped to the Unix epoch.
pub fn format_timestamp(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_date_is_midnight_utc() {
        assert_eq!(parse_timestamp("2025-01-10"), Ok(1_736_467_200));
    }

    #[test]
    fn judgeme_utc_form_is_parsed() {
        assert_eq!(
            parse_timestamp("2025-01-10 08:00:00 UTC"),
            Ok(1_736_467_200 + 8 * 3600)
        );
        assert_eq!(
            parse_timestamp("2025-01-10 08:00:00"),
            Ok(1_736_467_200 + 8 * 3600)
        );
    }

    #[test]
    fn rfc3339_offsets_are_converted_to_utc() {
        assert_eq!(
            parse_timestamp("2025-01-10T10:00:00+02:00"),
            Ok(1_736_467_200 + 8 * 3600)
        );
        assert_eq!(
            parse_timestamp("2025-01-10T08:00:00Z"),
            Ok(1_736_467_200 + 8 * 3600)
        );
    }

    #[test]
    fn junk_and_impossible_dates_are_rejected() {
        for raw in ["", "yesterday", "2025-13-01", "2025-02-30", "10/01/2025"] {
            assert!(parse_timestamp(raw).is_err(), "{raw}");
        }
        let error = parse_timestamp("soon").expect_err("not a date");
        assert!(error.to_string().starts_with("\"soon\" is not a date"));
    }

    #[test]
    fn formats_rfc3339_utc() {
        assert_eq!(format_timestamp(1_740_910_320), "2025-03-02T10:12:00Z");
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
    }
}
