//! The demo seed: the same rows in every fresh store, and the mix the demo
//! pages and the widgets need.

#![allow(clippy::unwrap_used)]

mod common;

use common::seeded_store;
use rusqlite::Connection;

/// Every row of a table as text, in rowid or key order.
fn dump(conn: &Connection, sql: &str) -> Vec<String> {
    let mut statement = conn.prepare(sql).unwrap();
    let columns = statement.column_count();
    statement
        .query_map([], |row| {
            (0..columns)
                .map(|i| {
                    row.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|values| values.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn scalar(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[test]
fn two_fresh_stores_hold_identical_rows() {
    let (_a, first) = seeded_store();
    let (_b, second) = seeded_store();
    let (first, second) = (first.connection().unwrap(), second.connection().unwrap());
    for sql in [
        "SELECT * FROM reviews ORDER BY id",
        "SELECT * FROM products ORDER BY product_id",
        "SELECT * FROM questions ORDER BY id",
        "SELECT * FROM shops ORDER BY id",
    ] {
        let rows = dump(&first, sql);
        assert!(!rows.is_empty(), "{sql}");
        assert_eq!(rows, dump(&second, sql), "{sql}");
    }
}

#[test]
fn reopening_a_store_does_not_seed_again() {
    let (dir, store) = seeded_store();
    let before = scalar(&store.connection().unwrap(), "SELECT COUNT(*) FROM reviews");
    drop(store);
    let reopened = starling_server::store::SqliteStore::open(dir.path()).unwrap();
    let after = scalar(
        &reopened.connection().unwrap(),
        "SELECT COUNT(*) FROM reviews",
    );
    assert_eq!(before, after);
}

#[test]
fn seed_meets_the_minimums_and_has_the_mix() {
    let (_dir, store) = seeded_store();
    let conn = store.connection().unwrap();
    let shop =
        "(SELECT id FROM shops WHERE domain = 'demo.myshopify.com' AND public_key = 'pubkey-demo')";
    let ids = dump(
        &conn,
        &format!("SELECT product_id FROM products WHERE shop_id = {shop} ORDER BY product_id"),
    );
    assert!(ids.len() >= 72);
    for (n, id) in ids.iter().take(72).enumerate() {
        assert_eq!(
            id,
            &format!("Text(\"{}\")", 7_000_000_000_001_u64 + n as u64)
        );
    }
    let checks = [
        ("reviews", "SELECT COUNT(*) FROM reviews", 3000),
        (
            "products without reviews",
            "SELECT COUNT(*) FROM products p WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.product_id = p.product_id)",
            3,
        ),
        (
            "five-star reviews",
            "SELECT COUNT(*) FROM reviews WHERE rating = 5",
            1200,
        ),
        (
            "multi-paragraph bodies",
            "SELECT COUNT(*) FROM reviews WHERE body LIKE '%' || char(10) || char(10) || '%'",
            50,
        ),
        (
            "empty titles",
            "SELECT COUNT(*) FROM reviews WHERE title = ''",
            50,
        ),
        (
            "verified",
            "SELECT COUNT(*) FROM reviews WHERE verified = 1",
            1000,
        ),
        (
            "unverified",
            "SELECT COUNT(*) FROM reviews WHERE verified = 0",
            100,
        ),
        (
            "replies",
            "SELECT COUNT(*) FROM reviews WHERE reply IS NOT NULL",
            100,
        ),
        (
            "photos",
            "SELECT COUNT(*) FROM reviews WHERE photo_count > 0",
            100,
        ),
        (
            "helpful votes",
            "SELECT COUNT(*) FROM reviews WHERE votes_up > 0",
            100,
        ),
        (
            "unpublished",
            "SELECT COUNT(*) FROM reviews WHERE published = 0",
            10,
        ),
        (
            "Arabic",
            "SELECT COUNT(*) FROM reviews WHERE body LIKE '%ممتازة%'",
            1,
        ),
        (
            "Hebrew",
            "SELECT COUNT(*) FROM reviews WHERE body LIKE '%איכות%'",
            1,
        ),
        (
            "markup",
            "SELECT COUNT(*) FROM reviews WHERE body LIKE '%<script>%'",
            1,
        ),
        (
            "bold markup",
            "SELECT COUNT(*) FROM reviews WHERE title LIKE '%<b>%'",
            1,
        ),
        (
            "questions",
            "SELECT COUNT(*) FROM questions WHERE published = 1",
            10,
        ),
        (
            "emails",
            "SELECT COUNT(*) FROM reviews WHERE email LIKE '%@%'",
            3000,
        ),
        (
            "addresses",
            "SELECT COUNT(*) FROM reviews WHERE ip_address <> ''",
            3000,
        ),
        (
            "one-star",
            "SELECT COUNT(*) FROM reviews WHERE rating = 1",
            20,
        ),
    ];
    for (what, sql, minimum) in checks {
        let n = scalar(&conn, sql);
        assert!(n >= minimum, "{what}: {n} < {minimum}");
    }
    let (first, last): (i64, i64) = conn
        .query_row(
            "SELECT MIN(created_at), MAX(created_at) FROM reviews",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert!(last - first > 700 * 86_400, "dates spread over two years");
    let skew = scalar(&conn, "SELECT COUNT(*) FROM reviews WHERE rating >= 4") * 100
        / scalar(&conn, "SELECT COUNT(*) FROM reviews");
    assert!(skew >= 70, "ratings skew to 4 and 5 stars: {skew}%");
}
