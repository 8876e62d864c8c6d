//! Judge.me's CSV review export.
//!
//! Columns are found by header name in any order; unknown ones are
//! ignored. A UTF-8 BOM, CRLF line ends and line breaks inside quoted fields
//! are accepted. Each record either becomes a review or a [`Rejection`] with
//! the line where it starts. A row that names only a product handle takes
//! the product id that another row of the file, or the store, gives that
//! handle. Reviews keep a stable identity (product, author, date and body),
//! so importing a file again changes no count. The whole import is one
//! transaction.

use std::collections::HashMap;

use rusqlite::Connection;
use sha2::{Digest, Sha256};
use starling_model::{Photo, ProductId, Votes};

use super::{ImportError, ImportReport, Rejection};
use crate::dates;
use crate::store::Product;
use crate::store::sqlite::{
    NewReview, StoreError, ensure_shop, normalize_shop, product_id_by_handle, upsert_product,
    upsert_review,
};

/// Columns every export has.
const REQUIRED: [&str; 10] = [
    "title",
    "body",
    "rating",
    "review_date",
    "reviewer_name",
    "reviewer_email",
    "product_id",
    "product_handle",
    "reply",
    "picture_urls",
];

/// Columns read when present.
const OPTIONAL: [&str; 5] = ["source", "curated", "reply_date", "ip_address", "location"];

/// Which product a record names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ProductRef {
    Id(ProductId),
    Handle(String),
}

/// A record that passed the checks that need only the record itself.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    line: u64,
    product: ProductRef,
    handle: String,
    rating: u8,
    title: String,
    body: String,
    author: String,
    email: String,
    ip_address: String,
    location: String,
    source: String,
    published: bool,
    created_at: i64,
    reply: Option<(String, i64)>,
    photos: Vec<Photo>,
}

/// The file read and checked record by record, before any store access.
#[derive(Debug, Default)]
struct Parsed {
    records: usize,
    drafts: Vec<Draft>,
    rejected: Vec<Rejection>,
}

/// Imports `data` into `shop`, creating the shop if new. A malformed file
/// imports nothing.
pub fn import(conn: &mut Connection, shop: &str, data: &[u8]) -> Result<ImportReport, ImportError> {
    let shop = normalize_shop(shop);
    if !is_shop_domain(&shop) {
        return Err(ImportError::BadShop(shop));
    }
    let parsed = parse(data)?;

    let tx = conn.transaction().map_err(StoreError::from)?;
    let shop_id = ensure_shop(&tx, &shop, None, dates::now())?;
    let file_handles = handles_in_file(&parsed.drafts);
    let mut report = ImportReport {
        shop,
        records: parsed.records,
        rejected: parsed.rejected,
        ..ImportReport::default()
    };

    for draft in parsed.drafts {
        let product = match &draft.product {
            ProductRef::Id(id) => id.clone(),
            ProductRef::Handle(handle) => {
                let found = match file_handles.get(handle).map(Vec::as_slice) {
                    Some([id]) => Some(id.clone()),
                    Some(ids) if ids.len() > 1 => {
                        let listed: Vec<&str> = ids.iter().map(ProductId::as_str).collect();
                        report.rejected.push(Rejection {
                            line: draft.line,
                            reason: format!(
                                "product_handle {handle:?} is ambiguous: rows of the file give \
                                 it the product ids {}; add the product_id to this row",
                                listed.join(", ")
                            ),
                        });
                        continue;
                    }
                    _ => product_id_by_handle(&tx, shop_id, handle)?
                        .and_then(|id| ProductId::parse(&id).ok()),
                };
                let Some(id) = found else {
                    report.rejected.push(Rejection {
                        line: draft.line,
                        reason: format!(
                            "product_handle {handle:?} has no product_id: no other row of \
                             the file and no product in the store gives one"
                        ),
                    });
                    continue;
                };
                id
            }
        };

        // Adds the product, or gives a known one the row's handle if it
        // has none yet.
        upsert_product(
            &tx,
            shop_id,
            &Product {
                id: product.clone(),
                handle: draft.handle.clone(),
                title: String::new(),
                description: String::new(),
                image_url: String::new(),
                price_cents: 0,
            },
        )?;

        let review = NewReview {
            shop_id,
            identity: identity(&product, &draft),
            product_id: product.as_str().to_owned(),
            rating: draft.rating,
            title: draft.title,
            body: draft.body,
            author: draft.author,
            email: draft.email,
            ip_address: draft.ip_address,
            location: draft.location,
            source: draft.source,
            verified: false,
            published: draft.published,
            created_at: draft.created_at,
            reply: draft.reply,
            photos: draft.photos,
            votes: Votes::default(),
        };
        report.imported += 1;
        if !report.products.contains(&product) {
            report.products.push(product.clone());
        }
        if review.published {
            report.published += 1;
        } else {
            report.unpublished += 1;
        }
        if upsert_review(&tx, &review)? {
            report.inserted += 1;
        }
    }

    tx.commit().map_err(StoreError::from)?;
    report.rejected.sort_by_key(|rejection| rejection.line);
    report.products.sort();
    Ok(report)
}

fn is_shop_domain(shop: &str) -> bool {
    !shop.is_empty()
        && shop.len() <= 255
        && shop
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
}

/// Handle to product id, from the rows that give both; the first row wins.
/// Maps each handle that rows of the file give together with a product id
/// to the distinct ids given for it, in file order.
fn handles_in_file(drafts: &[Draft]) -> HashMap<String, Vec<ProductId>> {
    let mut handles: HashMap<String, Vec<ProductId>> = HashMap::new();
    for draft in drafts {
        if let ProductRef::Id(id) = &draft.product
            && !draft.handle.is_empty()
        {
            let ids = handles.entry(draft.handle.clone()).or_default();
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    handles
}

/// Derives the identity of an imported review from who wrote it, about
/// which product and when. Title, body and rating are left out, so that a
/// re-export after the reviewer or merchant edited the text updates the
/// review instead of adding a second one.
// NOTE: two reviews of one product by the same name and email with the same
// timestamp count as one; Judge.me exports carry no review id to tell them
// apart, and day-only dates make this possible for repeat reviewers.
fn identity(product: &ProductId, draft: &Draft) -> String {
    let mut hasher = Sha256::new();
    for part in [
        product.as_str(),
        &draft.author,
        &draft.email,
        &draft.created_at.to_string(),
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    let digest = hasher.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("judgeme-{hex}")
}

/// Reads the CSV and checks each record on its own.
fn parse(data: &[u8]) -> Result<Parsed, ImportError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);

    let header = reader
        .headers()
        .map_err(|error| malformed(data, error))?
        .clone();
    let columns = Columns::find(&header)?;

    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::default();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {
                let byte = record.position().map_or(0, csv::Position::byte);
                let (line, start) = lines.record_start(data, byte);
                records.push((line, start, record.clone()));
            }
            Ok(false) => break,
            Err(error) => return Err(malformed(data, error)),
        }
    }
    check_quotes(data, &records)?;

    let mut parsed = Parsed {
        records: records.len(),
        ..Parsed::default()
    };
    for (line, _, record) in &records {
        if record.len() != header.len() {
            return Err(ImportError::Malformed {
                line: *line,
                message: format!(
                    "the record has {} fields but the header has {}; \
                     check for a missing or extra comma or quote",
                    record.len(),
                    header.len()
                ),
            });
        }
        match draft(&columns, *line, record) {
            Ok(draft) => parsed.drafts.push(draft),
            Err(reason) => parsed.rejected.push(Rejection {
                line: *line,
                reason,
            }),
        }
    }
    Ok(parsed)
}

/// Finds the line where each record starts. The CSV reader's own line
/// numbers lag by one after a CRLF line end and count skipped blank lines,
/// so lines are counted here from the record's byte offset, after the line
/// ends and blank lines that precede the record.
#[derive(Debug, Default)]
struct LineCounter {
    /// Byte offset up to which `newlines` were counted.
    counted_to: usize,
    newlines: u64,
}

impl LineCounter {
    /// Line (from 1) and byte offset of the record the reader placed at
    /// `byte`; offsets must not decrease between calls.
    fn record_start(&mut self, data: &[u8], byte: u64) -> (u64, u64) {
        let mut start = usize::try_from(byte).unwrap_or(data.len()).min(data.len());
        while start < data.len() && matches!(data[start], b'\r' | b'\n') {
            start += 1;
        }
        let from = self.counted_to.min(start);
        self.newlines += data[from..start].iter().filter(|&&b| b == b'\n').count() as u64;
        self.counted_to = start;
        (self.newlines + 1, start as u64)
    }
}

/// Every record's raw text must hold an even number of `"`. The CSV reader
/// is lenient: a quoted field that never closes runs to the end of the file
/// or to the next quote, and a stray quote in an unquoted field is kept as
/// text. Both mean the export's quoting is broken, so the file is refused
/// at the record where it starts.
fn check_quotes(data: &[u8], records: &[(u64, u64, csv::StringRecord)]) -> Result<(), ImportError> {
    let starts = std::iter::once((1, 0))
        .chain(records.iter().map(|(line, byte, _)| (*line, *byte)))
        .collect::<Vec<_>>();
    for (index, (line, start)) in starts.iter().enumerate() {
        let end = starts.get(index + 1).map_or(data.len(), |(_, next)| {
            usize::try_from(*next).unwrap_or(data.len())
        });
        let start = usize::try_from(*start).unwrap_or(0).min(end);
        let quotes = data[start..end].iter().filter(|&&b| b == b'"').count();
        if quotes % 2 == 1 {
            return Err(ImportError::Malformed {
                line: *line,
                message: "unbalanced double quote: a quoted field starting in this record \
                          is never closed, or a \" stands inside an unquoted field; quote \
                          the field and double each \" inside it"
                    .to_owned(),
            });
        }
    }
    Ok(())
}

fn malformed(data: &[u8], error: csv::Error) -> ImportError {
    let line = error.position().map_or(1, |position| {
        LineCounter::default().record_start(data, position.byte()).0
    });
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "the text is not valid UTF-8; save the export as UTF-8 and import it again".to_owned()
        }
        _ => error.to_string(),
    };
    ImportError::Malformed { line, message }
}

/// Positions of the columns in the header.
#[derive(Debug)]
struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Columns, ImportError> {
        let mut index = HashMap::new();
        for (position, name) in header.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            if let Some(known) = REQUIRED.iter().chain(OPTIONAL.iter()).find(|c| **c == name) {
                index.entry(*known).or_insert(position);
            }
        }
        let missing: Vec<&'static str> = REQUIRED
            .iter()
            .copied()
            .filter(|name| !index.contains_key(name))
            .collect();
        if missing.is_empty() {
            Ok(Columns { index })
        } else {
            Err(ImportError::MissingColumns(missing))
        }
    }

    /// The trimmed value of a column, empty when the column is absent.
    fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.index
            .get(name)
            .and_then(|&position| record.get(position))
            .map_or("", str::trim)
    }
}

/// Checks one record; the error is the rejection reason.
fn draft(columns: &Columns, line: u64, record: &csv::StringRecord) -> Result<Draft, String> {
    let get = |name| columns.get(record, name);

    let rating = parse_rating(get("rating"))?;

    let handle = get("product_handle").to_ascii_lowercase();
    let product = match get("product_id") {
        "" if handle.is_empty() => {
            return Err("neither product_id nor product_handle is set".to_owned());
        }
        "" => ProductRef::Handle(handle.clone()),
        raw => {
            ProductRef::Id(ProductId::parse(raw).map_err(|error| format!("product_id: {error}"))?)
        }
    };

    let created_at = match get("review_date") {
        "" => return Err("review_date is missing".to_owned()),
        raw => dates::parse_timestamp(raw).map_err(|error| format!("review_date {error}"))?,
    };

    let reply = match get("reply") {
        "" => None,
        text => {
            let at = match get("reply_date") {
                "" => created_at,
                raw => {
                    dates::parse_timestamp(raw).map_err(|error| format!("reply_date {error}"))?
                }
            };
            Some((text_block(text), at))
        }
    };

    let source = match get("source") {
        "" => "judgeme".to_owned(),
        value => value.to_owned(),
    };

    Ok(Draft {
        line,
        product,
        handle,
        rating,
        title: get("title").to_owned(),
        body: text_block(get("body")),
        author: get("reviewer_name").to_owned(),
        email: get("reviewer_email").to_owned(),
        ip_address: get("ip_address").to_owned(),
        location: get("location").to_owned(),
        source,
        published: is_published(get("curated")),
        created_at,
        reply,
        photos: parse_photos(get("picture_urls"))?,
    })
}

fn parse_rating(raw: &str) -> Result<u8, String> {
    if raw.is_empty() {
        return Err("rating is missing".to_owned());
    }
    match raw.parse::<i64>() {
        Ok(value @ 1..=5) => Ok(value as u8),
        Ok(value) => Err(format!("rating {value} is out of range 1..5")),
        Err(_) => Err(format!(
            "rating {:?} is not a whole number from 1 to 5",
            shorten(raw)
        )),
    }
}

/// `ok` or nothing publishes; any other value (`spam`, `not-yet`, ...) keeps
/// the review hidden.
fn is_published(curated: &str) -> bool {
    curated.is_empty() || curated.eq_ignore_ascii_case("ok")
}

/// Comma-separated http(s) addresses.
fn parse_photos(raw: &str) -> Result<Vec<Photo>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| {
            let lower = url.to_ascii_lowercase();
            if lower.starts_with("https://") || lower.starts_with("http://") {
                Ok(Photo {
                    url: url.to_owned(),
                    thumb_url: url.to_owned(),
                })
            } else {
                Err(format!(
                    "picture_urls item {:?} is not an http(s) address",
                    shorten(url)
                ))
            }
        })
        .collect()
}

/// Multi-line text with `\n` line ends.
fn text_block(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

fn shorten(value: &str) -> String {
    value.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "title,body,rating,review_date,reviewer_name,reviewer_email,\
                          product_id,product_handle,reply,picture_urls";

    fn parse_ok(text: &str) -> Parsed {
        parse(text.as_bytes()).expect("parses")
    }

    #[test]
    fn bom_and_crlf_are_accepted() {
        let text = format!(
            "\u{feff}{HEADER}\r\nHi,\"two\r\nlines\",5,2025-01-10,Ana,a@x.io,1,,,\r\n\
             ,b,4,2025-01-11,Bo,,2,,,\r\n"
        );
        let parsed = parse_ok(&text);
        assert_eq!(parsed.records, 2);
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
        assert_eq!(parsed.drafts[0].title, "Hi");
        assert_eq!(parsed.drafts[0].body, "two\nlines");
        assert_eq!(parsed.drafts[1].line, 4);
    }

    #[test]
    fn line_numbers_count_crlf_quoted_breaks_and_blank_lines() {
        let text = format!(
            "{HEADER}\r\n\r\nA,\"x\r\ny\",5,2025-01-10,Ann,,1,,,\r\n\r\n\r\nB,b,9,2025-01-10,Bo,,1,,,\r\n"
        );
        let parsed = parse_ok(&text);
        assert_eq!(parsed.drafts[0].line, 3);
        assert_eq!(parsed.rejected[0].line, 7);
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let mut data = format!("{HEADER}\nA,ok,5,2025-01-10,Ann,,1,,,\nB,").into_bytes();
        data.extend_from_slice(b"\xff\xfe,5,2025-01-10,Bo,,1,,,\n");
        let error = parse(&data).expect_err("not UTF-8");
        assert!(
            error
                .to_string()
                .starts_with("line 3: the text is not valid UTF-8"),
            "{error}"
        );
    }

    #[test]
    fn columns_may_come_in_any_order_with_unknown_ones() {
        let text = "picture_urls,extra,reply,product_handle,product_id,reviewer_email,\
                    reviewer_name,review_date,rating,body,title,curated\n\
                    https://x.io/a.jpg,zzz,,scarf,42,e@x.io,Eve,2025-01-10 08:00:00 UTC,3,Body,Title,spam\n";
        let parsed = parse_ok(text);
        let draft = &parsed.drafts[0];
        assert_eq!(
            draft.product,
            ProductRef::Id(ProductId::parse("42").expect("id"))
        );
        assert_eq!(draft.rating, 3);
        assert_eq!(draft.title, "Title");
        assert_eq!(draft.body, "Body");
        assert_eq!(draft.author, "Eve");
        assert_eq!(draft.created_at, 1_736_467_200 + 8 * 3600);
        assert!(!draft.published);
        assert_eq!(draft.photos.len(), 1);
    }

    #[test]
    fn missing_required_header_names_it() {
        let text = HEADER.replace(",rating", "") + "\n";
        let error = parse(text.as_bytes()).expect_err("no rating column");
        assert!(matches!(&error, ImportError::MissingColumns(missing) if missing == &["rating"]));
        assert!(error.to_string().contains("`rating`"), "{error}");
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let text = format!(
            "{HEADER}\nok,fine,5,2025-01-10,A,,1,,,\nbad,\"never closed,5,2025-01-10,B,,1,,,\n"
        );
        let error = parse(text.as_bytes()).expect_err("unterminated");
        assert!(
            matches!(error, ImportError::Malformed { line: 3, .. }),
            "{error}"
        );
        assert!(error.to_string().starts_with("line 3: "), "{error}");
    }

    #[test]
    fn wrong_field_count_is_malformed() {
        let text = format!("{HEADER}\nshort,row,5\n");
        let error = parse(text.as_bytes()).expect_err("short row");
        assert!(
            matches!(error, ImportError::Malformed { line: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn record_checks_give_reasons() {
        let rows = [
            ("t,b,6,2025-01-10,A,,1,,,", "rating 6 is out of range 1..5"),
            ("t,b,,2025-01-10,A,,1,,,", "rating is missing"),
            (
                "t,b,x,2025-01-10,A,,1,,,",
                "rating \"x\" is not a whole number from 1 to 5",
            ),
            (
                "t,b,4,2025-01-10,A,,,,,",
                "neither product_id nor product_handle is set",
            ),
            ("t,b,4,,A,,1,,,", "review_date is missing"),
            ("t,b,4,2025-01-10,A,,{{ id }},,,", "product_id: product id"),
            (
                "t,b,4,someday,A,,1,,,",
                "review_date \"someday\" is not a date",
            ),
            ("t,b,4,2025-01-10,A,,1,,,javascript:x", "picture_urls item"),
        ];
        for (row, reason) in rows {
            let parsed = parse_ok(&format!("{HEADER}\n{row}\n"));
            assert_eq!(parsed.rejected.len(), 1, "{row}");
            assert!(
                parsed.rejected[0].reason.starts_with(reason),
                "{row}: {}",
                parsed.rejected[0].reason
            );
            assert_eq!(parsed.rejected[0].line, 2);
        }
    }

    #[test]
    fn curated_ok_or_empty_publishes() {
        assert!(is_published(""));
        assert!(is_published("ok"));
        assert!(is_published("OK"));
        assert!(!is_published("spam"));
        assert!(!is_published("not-yet"));
    }

    #[test]
    fn identity_ignores_edits_and_moderation() {
        let text = format!("{HEADER},curated\nt,b,4,2025-01-10,A,,1,,,,ok\n");
        let first = parse_ok(&text).drafts.remove(0);
        let mut second = first.clone();
        second.published = false;
        second.rating = 2;
        let id = ProductId::parse("1").expect("id");
        second.body.push_str(" Edited later.");
        second.title.push('!');
        assert_eq!(identity(&id, &first), identity(&id, &second));
        second.author.push('2');
        assert_ne!(identity(&id, &first), identity(&id, &second));
    }
}
