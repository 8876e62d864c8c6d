//! Ratings kept as integer hundredths, so that stars, the one-decimal text,
//! the accessible name and structured data all derive from one value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An average rating in hundredths of a star: 467 means 4.67.
///
/// The JSON form is a number with at most two decimals (`4.67`); `0` means
/// the product has no reviews.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Rating(u16);

impl Rating {
    /// The highest rating, five stars.
    pub const MAX: Rating = Rating(500);

    /// Builds a rating from hundredths, clamped to 0..=500.
    pub fn from_hundredths(hundredths: u16) -> Rating {
        Rating(hundredths.min(500))
    }

    /// Averages `count` ratings that add up to `sum`, rounding half up to
    /// hundredths. Returns zero when `count` is zero.
    pub fn average(sum: u64, count: u64) -> Rating {
        if count == 0 {
            return Rating(0);
        }
        let hundredths = (200 * sum + count) / (2 * count);
        Rating(hundredths.min(500) as u16)
    }

    /// Converts a JSON number such as `4.67`, rounding half up to hundredths
    /// and clamping to 0..=5. NaN becomes zero.
    pub fn from_f64(value: f64) -> Rating {
        if value.is_nan() || value <= 0.0 {
            return Rating(0);
        }
        let hundredths = (value * 100.0 + 0.5).floor();
        if hundredths >= 500.0 {
            Rating(500)
        } else {
            Rating(hundredths as u16)
        }
    }

    /// The value in hundredths.
    pub fn hundredths(self) -> u16 {
        self.0
    }

    /// The value as a JSON number, two decimals at most.
    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// The value rounded half up to tenths: 4.25 gives 43 (shown as "4.3").
    pub fn tenths(self) -> u16 {
        (self.0 + 5) / 10
    }

    /// The number of half stars to fill, rounding to the nearest half with
    /// ties up: 4.24 gives 8 (four stars), 4.25 gives 9, 4.75 gives 10.
    pub fn half_stars(self) -> u8 {
        ((self.0 + 25) / 50) as u8
    }
}

impl Serialize for Rating {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        f64::deserialize(deserializer).map(Rating::from_f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_rounds_half_up() {
        assert_eq!(Rating::average(14, 3).hundredths(), 467);
        assert_eq!(Rating::average(8, 2).hundredths(), 400);
        assert_eq!(Rating::average(0, 0).hundredths(), 0);
        // 1/8 = 0.125 stars above 4 → 4.125 rounds half up to 4.13.
        assert_eq!(Rating::average(33, 8).hundredths(), 413);
    }

    #[test]
    fn half_stars_round_ties_up() {
        let cases = [
            (0, 0),
            (100, 2),
            (124, 2),
            (125, 3),
            (274, 5),
            (275, 6),
            (424, 8),
            (425, 9),
            (474, 9),
            (475, 10),
            (500, 10),
        ];
        for (hundredths, expected) in cases {
            assert_eq!(
                Rating::from_hundredths(hundredths).half_stars(),
                expected,
                "half stars of {hundredths}"
            );
        }
    }

    #[test]
    fn tenths_round_half_up() {
        assert_eq!(Rating::from_hundredths(467).tenths(), 47);
        assert_eq!(Rating::from_hundredths(425).tenths(), 43);
        assert_eq!(Rating::from_hundredths(424).tenths(), 42);
        assert_eq!(Rating::from_hundredths(500).tenths(), 50);
    }

    #[test]
    fn json_number_round_trips() {
        let rating: Rating = serde_json::from_str("4.67").expect("valid number");
        assert_eq!(rating.hundredths(), 467);
        assert_eq!(serde_json::to_string(&rating).expect("serializes"), "4.67");
        let clamped: Rating = serde_json::from_str("7").expect("valid number");
        assert_eq!(clamped, Rating::MAX);
    }
}
