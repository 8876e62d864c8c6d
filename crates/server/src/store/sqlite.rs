//! The embedded store: one SQLite file, `DATA_DIR/starling.db`, created with
//! its schema and the demo seed on first open. Queries run on Tokio's
//! blocking threads with connections from a small pool; the write helpers
//! here are shared by the seed and the CSV import, so one place knows how a
//! review row is written.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use starling_model::{
    Badge, Histogram, Photo, ProductId, Rating, Reply, Review, ReviewsQuery, ReviewsResponse, Sort,
    Summary, Votes,
};
use thiserror::Error;

use super::{Product, Source, SourceError, StoreStats, seed};
use crate::dates;

/// File name of the database inside the data dir.
pub const DB_FILE: &str = "starling.db";

/// Connections kept open between queries.
const MAX_IDLE_CONNECTIONS: usize = 4;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS shops (
    id         INTEGER PRIMARY KEY,
    domain     TEXT NOT NULL UNIQUE,
    public_key TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS products (
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    product_id  TEXT NOT NULL,
    handle      TEXT NOT NULL DEFAULT '',
    title       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    image_url   TEXT NOT NULL DEFAULT '',
    price_cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop_id, product_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS products_by_handle ON products (shop_id, handle);
CREATE TABLE IF NOT EXISTS reviews (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    product_id  TEXT NOT NULL,
    identity    TEXT NOT NULL,
    rating      INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    author      TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    ip_address  TEXT NOT NULL DEFAULT '',
    location    TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    verified    INTEGER NOT NULL DEFAULT 0,
    published   INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    reply       TEXT,
    reply_at    INTEGER,
    photos      TEXT NOT NULL DEFAULT '[]',
    photo_count INTEGER NOT NULL DEFAULT 0,
    votes_up    INTEGER NOT NULL DEFAULT 0,
    votes_down  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (shop_id, identity)
);
CREATE INDEX IF NOT EXISTS reviews_recent ON reviews
    (shop_id, product_id, published, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reviews_rating_asc ON reviews
    (shop_id, product_id, published, rating, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reviews_rating_desc ON reviews
    (shop_id, product_id, published, rating DESC, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reviews_helpful ON reviews
    (shop_id, product_id, published, (votes_up - votes_down) DESC, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reviews_least_helpful ON reviews
    (shop_id, product_id, published, (votes_up - votes_down), created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS reviews_with_photos ON reviews
    (shop_id, product_id, published, (photo_count > 0) DESC, created_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS questions (
    id          INTEGER PRIMARY KEY,
    shop_id     INTEGER NOT NULL REFERENCES shops (id),
    product_id  TEXT NOT NULL,
    author      TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    answer      TEXT,
    answered_at INTEGER,
    published   INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS questions_by_product ON questions
    (shop_id, product_id, published);
";

/// A failure of the embedded store.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The data dir could not be created.
    #[error("cannot create the data dir {path}: {source}; check its parent and permissions")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The database file could not be opened or set up.
    #[error("cannot open the SQLite store at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    /// A query failed.
    #[error("SQLite query failed: {0}")]
    Query(#[from] rusqlite::Error),
    /// The blocking task running a query panicked or was cancelled.
    #[error("SQLite task failed: {0}")]
    Task(String),
}

impl From<StoreError> for SourceError {
    fn from(error: StoreError) -> Self {
        SourceError::Unavailable(error.to_string())
    }
}

/// Handle to the store; cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    inner: Arc<Pool>,
}

#[derive(Debug)]
struct Pool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Pool {
    fn take(&self) -> Result<Connection, StoreError> {
        let reused = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        match reused {
            Some(conn) => Ok(conn),
            None => connect(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < MAX_IDLE_CONNECTIONS {
            idle.push(conn);
        }
    }
}

/// Opens one connection with the settings every connection uses.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let open_error = |source| StoreError::Open {
        path: path.to_owned(),
        source,
    };
    let conn = Connection::open(path).map_err(open_error)?;
    conn.busy_timeout(Duration::from_secs(5))
        .map_err(open_error)?;
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;")
        .map_err(open_error)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens `DATA_DIR/starling.db`, creating the dir, the schema and the
    /// demo seed when they are missing.
    pub fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let mut conn = connect(&path)?;
        let setup_error = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(setup_error)?;
        conn.execute_batch(SCHEMA).map_err(setup_error)?;
        if !is_seeded(&conn)? {
            let tx = conn.transaction()?;
            seed::seed_demo(&tx)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('seeded', ?1)",
                [seed::SEED_VERSION],
            )?;
            tx.commit()?;
            tracing::info!(path = %path.display(), "created the store and seeded the demo shop");
        }
        Ok(SqliteStore {
            inner: Arc::new(Pool {
                path,
                idle: Mutex::new(vec![conn]),
            }),
        })
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// A new connection of its own, for synchronous work such as an import.
    pub fn connection(&self) -> Result<Connection, StoreError> {
        connect(&self.inner.path)
    }

    /// Runs `work` with a pooled connection on a blocking thread.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let conn = pool.take()?;
            let result = work(&conn);
            pool.give_back(conn);
            result
        })
        .await
        .map_err(|error| StoreError::Task(error.to_string()))?
    }

    /// Numbers of shops, products and reviews (published or not).
    pub async fn stats(&self) -> Result<StoreStats, StoreError> {
        self.run(stats).await
    }

    /// The shop's products in id order, at most `limit` of them.
    pub async fn products(&self, shop: &str, limit: u32) -> Result<Vec<Product>, StoreError> {
        let shop = normalize_shop(shop);
        self.run(move |conn| products(conn, &shop, limit)).await
    }

    /// One product of the shop, if it exists.
    pub async fn product(&self, shop: &str, id: &ProductId) -> Result<Option<Product>, StoreError> {
        let shop = normalize_shop(shop);
        let id = id.clone();
        self.run(move |conn| product(conn, &shop, &id)).await
    }
}

#[async_trait]
impl Source for SqliteStore {
    async fn shop_exists(&self, shop: &str) -> Result<bool, SourceError> {
        let shop = normalize_shop(shop);
        let id = self.run(move |conn| shop_id(conn, &shop)).await?;
        Ok(id.is_some())
    }

    async fn badges(&self, shop: &str, ids: &[ProductId]) -> Result<Vec<Badge>, SourceError> {
        let shop = normalize_shop(shop);
        let ids = ids.to_vec();
        let found = self
            .run(move |conn| match shop_id(conn, &shop)? {
                Some(shop_id) => badges(conn, shop_id, &ids).map(Ok),
                None => Ok(Err(shop)),
            })
            .await?;
        found.map_err(SourceError::ShopNotFound)
    }

    async fn reviews(
        &self,
        shop: &str,
        product: &ProductId,
        query: &ReviewsQuery,
    ) -> Result<ReviewsResponse, SourceError> {
        let shop = normalize_shop(shop);
        let product = product.clone();
        let query = *query;
        let found = self
            .run(move |conn| match shop_id(conn, &shop)? {
                Some(shop_id) => reviews(conn, shop_id, &product, &query).map(Ok),
                None => Ok(Err(shop)),
            })
            .await?;
        found.map_err(SourceError::ShopNotFound)
    }

    async fn check(&self) -> Result<(), SourceError> {
        self.run(|conn| {
            conn.query_row("SELECT COUNT(*) FROM shops", [], |row| row.get::<_, i64>(0))?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// Shop domains are compared in lower case without surrounding blanks.
pub fn normalize_shop(shop: &str) -> String {
    shop.trim().to_ascii_lowercase()
}

fn is_seeded(conn: &Connection) -> Result<bool, StoreError> {
    let seeded = conn
        .query_row("SELECT 1 FROM meta WHERE key = 'seeded'", [], |_| Ok(()))
        .optional()?;
    Ok(seeded.is_some())
}

fn stats(conn: &Connection) -> Result<StoreStats, StoreError> {
    let count = |table: &str| -> Result<u64, StoreError> {
        let n: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |row| {
            row.get(0)
        })?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    Ok(StoreStats {
        shops: count("shops")?,
        products: count("products")?,
        reviews: count("reviews")?,
    })
}

/// The row id of a shop, by its normalised domain.
pub fn shop_id(conn: &Connection, domain: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .query_row("SELECT id FROM shops WHERE domain = ?1", [domain], |row| {
            row.get(0)
        })
        .optional()?)
}

/// The shop's row id, creating the shop when it is new.
pub fn ensure_shop(
    conn: &Connection,
    domain: &str,
    public_key: Option<&str>,
    created_at: i64,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO shops (domain, public_key, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (domain) DO NOTHING",
        params![domain, public_key, created_at],
    )?;
    shop_id(conn, domain)?.ok_or(StoreError::Query(rusqlite::Error::QueryReturnedNoRows))
}

/// Adds a product, or fills in the handle of one that has none.
pub fn upsert_product(
    conn: &Connection,
    shop_id: i64,
    product: &Product,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO products (shop_id, product_id, handle, title, description, image_url, price_cents)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (shop_id, product_id) DO UPDATE SET
             handle = CASE WHEN products.handle = '' THEN excluded.handle ELSE products.handle END",
        params![
            shop_id,
            product.id.as_str(),
            product.handle,
            product.title,
            product.description,
            product.image_url,
            product.price_cents,
        ],
    )?;
    Ok(())
}

/// The id of the shop's product with this handle, if any.
pub fn product_id_by_handle(
    conn: &Connection,
    shop_id: i64,
    handle: &str,
) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT product_id FROM products WHERE shop_id = ?1 AND handle = ?2
             ORDER BY product_id LIMIT 1",
            params![shop_id, handle],
            |row| row.get(0),
        )
        .optional()?)
}

/// A review row to write. `identity` is its stable key within the shop.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    pub shop_id: i64,
    pub product_id: String,
    pub identity: String,
    pub rating: u8,
    pub title: String,
    pub body: String,
    pub author: String,
    pub email: String,
    pub ip_address: String,
    pub location: String,
    pub source: String,
    pub verified: bool,
    pub published: bool,
    pub created_at: i64,
    /// Reply text and time.
    pub reply: Option<(String, i64)>,
    pub photos: Vec<Photo>,
    pub votes: Votes,
}

/// Writes a review; when one with the same identity exists, its content and
/// moderation fields are replaced and its votes kept. Returns whether the
/// review is new.
pub fn upsert_review(conn: &Connection, review: &NewReview) -> Result<bool, StoreError> {
    let exists = conn
        .query_row(
            "SELECT 1 FROM reviews WHERE shop_id = ?1 AND identity = ?2",
            params![review.shop_id, review.identity],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    let photos = serde_json::to_string(&review.photos).unwrap_or_else(|_| "[]".to_owned());
    let (reply, reply_at) = match &review.reply {
        Some((body, at)) => (Some(body.as_str()), Some(*at)),
        None => (None, None),
    };
    conn.execute(
        "INSERT INTO reviews (shop_id, product_id, identity, rating, title, body, author, email,
             ip_address, location, source, verified, published, created_at, reply, reply_at,
             photos, photo_count, votes_up, votes_down)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
             ?18, ?19, ?20)
         ON CONFLICT (shop_id, identity) DO UPDATE SET
             rating = excluded.rating, title = excluded.title, body = excluded.body,
             author = excluded.author, email = excluded.email,
             ip_address = excluded.ip_address, location = excluded.location,
             source = excluded.source, verified = excluded.verified,
             published = excluded.published, reply = excluded.reply,
             reply_at = excluded.reply_at, photos = excluded.photos,
             photo_count = excluded.photo_count",
        params![
            review.shop_id,
            review.product_id,
            review.identity,
            review.rating,
            review.title,
            review.body,
            review.author,
            review.email,
            review.ip_address,
            review.location,
            review.source,
            review.verified,
            review.published,
            review.created_at,
            reply,
            reply_at,
            photos,
            review.photos.len() as i64,
            review.votes.up,
            review.votes.down,
        ],
    )?;
    Ok(!exists)
}

/// Badge numbers for `ids` in one query; products without published reviews
/// get zeros.
fn badges(conn: &Connection, shop_id: i64, ids: &[ProductId]) -> Result<Vec<Badge>, StoreError> {
    let list = serde_json::to_string(&ids).unwrap_or_else(|_| "[]".to_owned());
    let mut statement = conn.prepare_cached(
        "SELECT ids.value,
                COUNT(r.id),
                COALESCE(SUM(r.rating), 0),
                (SELECT COUNT(*) FROM questions q
                  WHERE q.shop_id = ?1 AND q.product_id = ids.value AND q.published = 1)
           FROM json_each(?2) AS ids
           LEFT JOIN reviews r
             ON r.shop_id = ?1 AND r.product_id = ids.value AND r.published = 1
          GROUP BY ids.value",
    )?;
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    let rows = statement.query_map(params![shop_id, list], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, i64>(1)?,
            row.get::<_, i64>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (id, count, sum, questions) = row?;
        found.insert(id, (count, sum, questions));
    }
    Ok(ids
        .iter()
        .map(|id| {
            let (count, sum, questions) = found.get(id.as_str()).copied().unwrap_or((0, 0, 0));
            Badge {
                product_id: id.clone(),
                average: Rating::average(to_u64(sum), to_u64(count)),
                count: to_u32(count),
                questions: to_u32(questions),
            }
        })
        .collect())
}

/// The ORDER BY clause of a sort; every order ends with `id` so it is total.
pub fn order_by(sort: Sort) -> &'static str {
    match sort {
        Sort::Recent => "created_at DESC, id DESC",
        Sort::Highest => "rating DESC, created_at DESC, id DESC",
        Sort::Lowest => "rating ASC, created_at DESC, id DESC",
        Sort::Helpful => "(votes_up - votes_down) DESC, created_at DESC, id DESC",
        Sort::LeastHelpful => "(votes_up - votes_down) ASC, created_at DESC, id DESC",
        Sort::WithPhotos => "(photo_count > 0) DESC, created_at DESC, id DESC",
    }
}

/// The page query for a sort, with or without the rating filter (`?3`).
/// Parameters: shop row id, product id, rating, limit, offset.
pub fn page_sql(sort: Sort, filtered: bool) -> String {
    let filter = if filtered {
        "AND rating = ?3"
    } else {
        "AND ?3 IS NULL"
    };
    format!(
        "SELECT id, rating, title, body, author, location, created_at, verified, reply,
                reply_at, photos, votes_up, votes_down
           FROM reviews
          WHERE shop_id = ?1 AND product_id = ?2 AND published = 1 {filter}
          ORDER BY {}
          LIMIT ?4 OFFSET ?5",
        order_by(sort)
    )
}

fn reviews(
    conn: &Connection,
    shop_id: i64,
    product: &ProductId,
    query: &ReviewsQuery,
) -> Result<ReviewsResponse, StoreError> {
    let summary = summary(conn, shop_id, product)?;
    let matching = match query.rating {
        Some(stars) => summary.histogram.get(stars),
        None => summary.count,
    };
    let pages = matching.div_ceil(query.per_page);
    let offset = i64::from(query.page - 1) * i64::from(query.per_page);

    let mut statement = conn.prepare_cached(&page_sql(query.sort, query.rating.is_some()))?;
    let rows = statement.query_map(
        params![
            shop_id,
            product.as_str(),
            query.rating,
            query.per_page,
            offset
        ],
        review_from_row,
    )?;
    let reviews = rows.collect::<Result<Vec<_>, _>>()?;

    Ok(ReviewsResponse {
        product_id: product.clone(),
        summary,
        page: query.page,
        per_page: query.per_page,
        pages,
        reviews,
    })
}

fn summary(conn: &Connection, shop_id: i64, product: &ProductId) -> Result<Summary, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT rating, COUNT(*) FROM reviews
          WHERE shop_id = ?1 AND product_id = ?2 AND published = 1
          GROUP BY rating",
    )?;
    let mut histogram = Histogram::default();
    let (mut count, mut sum) = (0_u64, 0_u64);
    let rows = statement.query_map(params![shop_id, product.as_str()], |row| {
        Ok((row.get::<_, u8>(0)?, row.get::<_, i64>(1)?))
    })?;
    for row in rows {
        let (stars, n) = row?;
        histogram.add(stars, to_u32(n));
        count += to_u64(n);
        sum += u64::from(stars) * to_u64(n);
    }
    Ok(Summary {
        average: Rating::average(sum, count),
        count: u32::try_from(count).unwrap_or(u32::MAX),
        histogram,
    })
}

fn review_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Review> {
    let id: i64 = row.get("id")?;
    let reply = match (
        row.get::<_, Option<String>>("reply")?,
        row.get::<_, Option<i64>>("reply_at")?,
    ) {
        (Some(body), at) if !body.is_empty() => Some(Reply {
            body,
            created_at: dates::format_timestamp(at.unwrap_or_default()),
        }),
        _ => None,
    };
    let photos: String = row.get("photos")?;
    let photos = serde_json::from_str::<Vec<Photo>>(&photos).unwrap_or_else(|error| {
        tracing::warn!(review = id, %error, "review has unreadable photos; showing none");
        Vec::new()
    });
    Ok(Review {
        id: format!("r_{id}"),
        rating: row.get("rating")?,
        title: row.get("title")?,
        body: row.get("body")?,
        author: row.get("author")?,
        location: row.get("location")?,
        created_at: dates::format_timestamp(row.get("created_at")?),
        verified: row.get("verified")?,
        reply,
        photos,
        votes: Votes {
            up: row.get("votes_up")?,
            down: row.get("votes_down")?,
        },
    })
}

fn products(conn: &Connection, shop: &str, limit: u32) -> Result<Vec<Product>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT p.product_id, p.handle, p.title, p.description, p.image_url, p.price_cents
           FROM products p JOIN shops s ON s.id = p.shop_id
          WHERE s.domain = ?1
          ORDER BY length(p.product_id), p.product_id
          LIMIT ?2",
    )?;
    let rows = statement.query_map(params![shop, limit], product_from_row)?;
    Ok(rows
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?)
}

fn product(conn: &Connection, shop: &str, id: &ProductId) -> Result<Option<Product>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT p.product_id, p.handle, p.title, p.description, p.image_url, p.price_cents
           FROM products p JOIN shops s ON s.id = p.shop_id
          WHERE s.domain = ?1 AND p.product_id = ?2",
    )?;
    Ok(statement
        .query_row(params![shop, id.as_str()], product_from_row)
        .optional()?
        .flatten())
}

/// A product row; `None` when its stored id is not a valid product id.
fn product_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Option<Product>> {
    let raw: String = row.get(0)?;
    let Ok(id) = ProductId::parse(&raw) else {
        tracing::warn!(
            product_id = raw,
            "skipping a product whose stored id is not numeric"
        );
        return Ok(None);
    };
    Ok(Some(Product {
        id,
        handle: row.get(1)?,
        title: row.get(2)?,
        description: row.get(3)?,
        image_url: row.get(4)?,
        price_cents: row.get(5)?,
    }))
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn to_u32(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SORTS: [Sort; 6] = [
        Sort::Recent,
        Sort::Highest,
        Sort::Lowest,
        Sort::Helpful,
        Sort::LeastHelpful,
        Sort::WithPhotos,
    ];

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut statement = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan prepares");
        let rows = statement
            .query_map(
                params![1, "7000000000001", Option::<u8>::None, 5, 0],
                |row| row.get::<_, String>(3),
            )
            .expect("plan runs");
        rows.map(|row| row.expect("plan row"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn every_unfiltered_sort_reads_an_index_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("store opens");
        let conn = store.connection().expect("connection");
        for sort in SORTS {
            let plan = plan(&conn, &page_sql(sort, false));
            assert!(plan.contains("USING INDEX"), "{sort:?}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sort:?}: {plan}");
        }
    }

    #[test]
    fn rating_filter_with_recent_and_rating_sorts_needs_no_sort_step() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("store opens");
        let conn = store.connection().expect("connection");
        for sort in [Sort::Recent, Sort::Highest, Sort::Lowest] {
            let plan = plan(&conn, &page_sql(sort, true));
            assert!(!plan.contains("TEMP B-TREE"), "{sort:?}: {plan}");
        }
    }

    #[test]
    fn badge_query_reads_the_review_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path()).expect("store opens");
        let conn = store.connection().expect("connection");
        let mut statement = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT ids.value, COUNT(r.id) FROM json_each(?2) AS ids
                 LEFT JOIN reviews r ON r.shop_id = ?1 AND r.product_id = ids.value
                 AND r.published = 1 GROUP BY ids.value",
            )
            .expect("plan prepares");
        let plan: Vec<String> = statement
            .query_map(params![1, "[]"], |row| row.get(3))
            .expect("plan runs")
            .map(|row| row.expect("plan row"))
            .collect();
        assert!(plan.iter().any(|step| step.contains("USING")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.contains("SCAN r")), "{plan:?}");
    }
}
