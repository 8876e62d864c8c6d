//! The Judge.me import against the cases file in `shared/cases/`, whose
//! README gives the exact outcome.

#![allow(clippy::unwrap_used)]

mod common;

use common::{app, cases_csv, get, seeded_store, shared_cases_csv};
use rusqlite::Connection;
use serde_json::Value;
use starling_server::import::{ImportError, judgeme};

const SHOP: &str = "cases.myshopify.com";
const SHIRT: &str = "7012345678001";
const SCARF: &str = "7012345678002";
const TOTE: &str = "7012345678003";

fn counts(conn: &Connection) -> (i64, i64, i64, i64) {
    conn.query_row(
        "SELECT (SELECT COUNT(*) FROM shops),
                (SELECT COUNT(*) FROM products),
                (SELECT COUNT(*) FROM reviews),
                (SELECT COUNT(*) FROM reviews WHERE published = 1)",
        [],
        |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
    )
    .unwrap()
}

async fn reviews_json(app: &axum::Router, product: &str) -> Value {
    let reply = get(
        app,
        &format!("/v1/shops/{SHOP}/products/{product}/reviews?per_page=50"),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(!reply.text().contains("@example.com"), "an email leaked");
    assert!(!reply.text().contains("203.0.113.10"), "an address leaked");
    reply.json()
}

#[test]
fn the_crate_copy_of_the_cases_file_matches_shared() {
    if let Some(shared) = shared_cases_csv() {
        assert_eq!(
            std::fs::read(shared).unwrap(),
            std::fs::read(cases_csv()).unwrap()
        );
    }
}

#[tokio::test]
async fn cases_file_gives_the_documented_results() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let data = std::fs::read(cases_csv()).unwrap();
    let before = counts(&conn);

    let report = judgeme::import(&mut conn, SHOP, &data).unwrap();
    assert_eq!(report.shop, SHOP);
    assert_eq!(report.records, 10);
    assert_eq!(report.imported, 7);
    assert_eq!(report.published, 6);
    assert_eq!(report.unpublished, 1);
    assert_eq!(report.inserted, 7);
    let rejected: Vec<(u64, &str)> = report
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    assert_eq!(
        rejected,
        [
            (9, "rating 6 is out of range 1..5"),
            (10, "rating is missing"),
            (11, "neither product_id nor product_handle is set"),
        ]
    );
    let printed = report.to_string();
    assert!(
        printed
            .contains("records imported: 7 (6 published, 1 unpublished; 7 new, 0 already present)"),
        "{printed}"
    );
    assert!(printed.contains("records rejected: 3"), "{printed}");
    assert!(
        printed.contains("  line 9: rating 6 is out of range 1..5"),
        "{printed}"
    );

    let after = counts(&conn);
    assert_eq!(after.0, before.0 + 1, "the shop is created");
    assert_eq!(after.1, before.1 + 3, "three products");
    assert_eq!(after.2, before.2 + 7);
    assert_eq!(after.3, before.3 + 6);

    let app = app(&store);
    let badges = get(
        &app,
        &format!("/v1/shops/{SHOP}/badges?ids={SHIRT},{SCARF},{TOTE}"),
    )
    .await
    .json();
    let numbers: Vec<(f64, u64)> = badges["badges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["average"].as_f64().unwrap(), b["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(numbers, [(4.67, 3), (4.0, 2), (2.0, 1)]);

    // The handle-only row (Camille) is attached to the linen shirt.
    let shirt = reviews_json(&app, SHIRT).await;
    let authors: Vec<&str> = shirt["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["Ana P.", "Marc", "Camille R."]);
    let ana = &shirt["reviews"][0];
    assert_eq!(ana["title"], "Fits perfectly");
    assert_eq!(ana["location"], "Lisbon, PT");
    assert_eq!(ana["created_at"], "2025-03-02T10:12:00Z");
    assert_eq!(ana["reply"]["body"], "Thank you, Ana!");
    assert_eq!(ana["reply"]["created_at"], "2025-03-03T08:00:00Z");
    let marc = &shirt["reviews"][1];
    assert_eq!(marc["title"], "Good, but…");
    assert_eq!(
        marc["body"],
        "The colour is lighter than the photo, so I'd say \"sand\" rather than \"brown\".\nStill keeping it."
    );
    assert_eq!(marc["created_at"], "2025-01-10T00:00:00Z");
    assert_eq!(marc["photos"].as_array().unwrap().len(), 2);
    assert_eq!(
        marc["photos"][0]["url"],
        "https://cdn.example.com/reviews/a.jpg"
    );
    assert_eq!(shirt["reviews"][2]["title"], "Top 👌");

    // Markup and right-to-left text are stored as written.
    let scarf = reviews_json(&app, SCARF).await;
    assert_eq!(
        scarf["summary"]["histogram"],
        serde_json::json!({"5": 1, "4": 0, "3": 1, "2": 0, "1": 0})
    );
    let titles: Vec<&str> = scarf["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["ممتاز", "<b>Not bold</b>"]);
    assert_eq!(scarf["reviews"][1]["author"], "<i>Sam</i>");
    assert_eq!(
        scarf["reviews"][1]["body"],
        "Text that looks like markup: <script>alert(1)</script> & <img src=x onerror=alert(2)>"
    );

    // The spam review is stored but not shown or counted.
    let tote = reviews_json(&app, TOTE).await;
    assert_eq!(tote["summary"]["count"], 1);
    assert_eq!(tote["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(tote["reviews"][0]["title"], "");
    assert_eq!(tote["reviews"][0]["body"], "No title, body only.");
    assert!(!tote.to_string().contains("Spam"));
    let hidden: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM reviews WHERE product_id = ?1 AND published = 0",
            [TOTE],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(hidden, 1);
    let (email, ip): (String, String) = conn
        .query_row(
            "SELECT email, ip_address FROM reviews WHERE author = 'Ana P.' AND product_id = ?1",
            [SHIRT],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (email.as_str(), ip.as_str()),
        ("ana@example.com", "203.0.113.10")
    );
}

#[test]
fn importing_twice_changes_no_count() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let data = std::fs::read(cases_csv()).unwrap();
    judgeme::import(&mut conn, SHOP, &data).unwrap();
    let once = counts(&conn);

    let again = judgeme::import(&mut conn, SHOP, &data).unwrap();
    assert_eq!(counts(&conn), once);
    assert_eq!(again.imported, 7);
    assert_eq!(again.inserted, 0);
    assert_eq!(again.rejected.len(), 3);
    assert!(again.to_string().contains("0 new, 7 already present"));
}

#[test]
fn edited_reexport_updates_in_place() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let data = std::fs::read_to_string(cases_csv()).unwrap();
    judgeme::import(&mut conn, SHOP, data.as_bytes()).unwrap();
    let once = counts(&conn);

    let edited = data.replace("Washed it twice", "Washed it three times");
    assert_ne!(edited, data);
    let again = judgeme::import(&mut conn, SHOP, edited.as_bytes()).unwrap();
    assert_eq!(counts(&conn), once);
    assert_eq!(again.inserted, 0);
    let body: String = conn
        .query_row(
            "SELECT body FROM reviews WHERE product_id = ?1 AND author = 'Ana P.'",
            [SHIRT],
            |row| row.get(0),
        )
        .unwrap();
    assert!(body.contains("three times"), "{body}");
}

#[test]
fn ambiguous_handle_rejects_handle_only_row() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let csv = "title,body,rating,review_date,reviewer_name,reviewer_email,product_id,product_handle,reply,picture_urls\n\
               A,One,5,2025-01-01,Ann,,902,dup,,\n\
               B,Two,4,2025-01-02,Bob,,903,dup,,\n\
               C,Three,3,2025-01-03,Cy,,,dup,,\n";
    let report = judgeme::import(&mut conn, SHOP, csv.as_bytes()).unwrap();
    assert_eq!(report.imported, 2);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 4);
    assert!(
        report.rejected[0].reason.contains("ambiguous")
            && report.rejected[0].reason.contains("902, 903"),
        "{}",
        report.rejected[0].reason
    );
}

#[test]
fn handle_only_row_uses_the_store_when_the_file_lacks_it() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let csv = "title,body,rating,review_date,reviewer_name,reviewer_email,product_id,\
               product_handle,reply,picture_urls\n\
               A,one,5,2025-01-10,Ann,,7012345678009,mug,,\n";
    judgeme::import(&mut conn, SHOP, csv.as_bytes()).unwrap();
    let later = "product_handle,title,body,rating,review_date,reviewer_name,reviewer_email,\
                 product_id,reply,picture_urls\n\
                 mug,B,two,4,2025-01-11,Ben,,,,\n\
                 cup,C,three,4,2025-01-11,Cy,,,,\n";
    let report = judgeme::import(&mut conn, SHOP, later.as_bytes()).unwrap();
    assert_eq!(report.imported, 1);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].line, 3);
    assert!(
        report.rejected[0].reason.contains("\"cup\""),
        "{:?}",
        report.rejected
    );
    let on_mug: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM reviews WHERE product_id = '7012345678009'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(on_mug, 2);
}

#[test]
fn malformed_files_import_nothing_and_name_the_line() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let before = counts(&conn);
    let good = std::fs::read_to_string(cases_csv()).unwrap();

    // An unterminated quote in the record on line 6.
    let mut lines: Vec<&str> = good.lines().collect();
    let broken_line = "Broken,\"this quote never closes,5,2024-11-06,web,ok,Zed,z@example.com,7012345678002,wool-scarf,,,,,";
    lines.insert(5, broken_line);
    let unterminated = lines.join("\n");
    let error = judgeme::import(&mut conn, SHOP, unterminated.as_bytes()).unwrap_err();
    assert!(
        matches!(error, ImportError::Malformed { line: 6, .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with("line 6: "), "{error}");
    assert_eq!(counts(&conn), before);

    // No `rating` column.
    let no_rating = good.replacen(",rating,", ",score,", 1);
    let error = judgeme::import(&mut conn, SHOP, no_rating.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("`rating`"), "{error}");
    assert_eq!(counts(&conn), before);

    // A record with a missing field.
    let short = format!("{good}Short,row,5\n");
    let error = judgeme::import(&mut conn, SHOP, short.as_bytes()).unwrap_err();
    assert!(
        matches!(error, ImportError::Malformed { line: 13, .. }),
        "{error}"
    );
    assert_eq!(counts(&conn), before);

    // A shop that is not a domain.
    let error = judgeme::import(&mut conn, "not a shop/x", good.as_bytes()).unwrap_err();
    assert!(matches!(error, ImportError::BadShop(_)), "{error}");
    assert_eq!(counts(&conn), before);
}

#[test]
fn bom_crlf_and_reordered_columns_import_the_same_reviews() {
    let (_dir, store) = seeded_store();
    let mut conn = store.connection().unwrap();
    let good = std::fs::read_to_string(cases_csv()).unwrap();
    let crlf = format!("\u{feff}{}", good.replace('\n', "\r\n"));
    let report = judgeme::import(&mut conn, SHOP, crlf.as_bytes()).unwrap();
    assert_eq!(
        (report.imported, report.inserted, report.rejected.len()),
        (7, 7, 3)
    );
    let lines: Vec<u64> = report.rejected.iter().map(|r| r.line).collect();
    assert_eq!(lines, [9, 10, 11]);

    // The same file with its first and last columns swapped: same reviews.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(good.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    for record in reader.records() {
        let mut fields: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        let last = fields.len() - 1;
        fields.swap(0, last);
        writer.write_record(&fields).unwrap();
    }
    let swapped = writer.into_inner().unwrap();
    let again = judgeme::import(&mut conn, SHOP, &swapped).unwrap();
    assert_eq!((again.imported, again.inserted), (7, 0));
    let body: String = conn
        .query_row(
            "SELECT body FROM reviews WHERE author = 'Marc' AND product_id = ?1",
            [SHIRT],
            |row| row.get(0),
        )
        .unwrap();
    assert!(body.contains("\"brown\".\nStill keeping it."), "{body:?}");
}
