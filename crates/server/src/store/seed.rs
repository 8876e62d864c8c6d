//! The demo shop `demo.myshopify.com`: 72 products and a few thousand
//! reviews made by a fixed-seed generator, so every fresh store holds the
//! same rows. The mix is what a real shop sees: mostly four and five stars,
//! products without reviews, one-line and multi-paragraph bodies, empty
//! titles, replies, photos, votes, unpublished spam, right-to-left scripts
//! and text that looks like HTML.

use starling_model::{Photo, ProductId, Votes};

use super::Product;
use super::sqlite::{NewReview, StoreError, ensure_shop, upsert_product, upsert_review};

/// The demo shop's domain.
pub const DEMO_SHOP: &str = "demo.myshopify.com";
/// The demo shop's public key.
pub const DEMO_KEY: &str = "pubkey-demo";
/// Id of the first demo product; the others follow it.
pub const FIRST_PRODUCT_ID: u64 = 7_000_000_000_001;
/// Stored in `meta` so a later seed change can be told apart.
pub const SEED_VERSION: &str = "1";

/// 2024-01-01T00:00:00Z; reviews spread over the two years after it.
const EPOCH: i64 = 1_704_067_200;
const TWO_YEARS: u64 = 730 * 86_400;
const SEED: u64 = 0x5354_4152_4c49_4e47;

/// Title and handle of each product; an empty handle is made from the title.
const PRODUCTS: [(&str, &str); 72] = [
    ("Linen Shirt", ""),
    ("Wool Scarf", ""),
    ("Canvas Tote", ""),
    ("Stoneware Mug", ""),
    ("Beeswax Candle", ""),
    ("Dot Grid Notebook", ""),
    ("Merino Beanie", ""),
    ("Hiking Socks (3-Pack)", "hiking-socks-3-pack"),
    ("Waffle Throw Blanket", ""),
    ("Denim Apron", ""),
    ("Terracotta Planter", ""),
    ("Roll-Top Backpack", "roll-top-backpack"),
    ("Café Crème Espresso Cups", "cafe-creme-espresso-cups"),
    ("Leather Card Wallet", ""),
    ("Cotton Bath Towel", ""),
    ("Bamboo Cutting Board", ""),
    ("Glass Water Bottle", ""),
    ("Cast Iron Skillet", ""),
    ("Ceramic Pour-Over", "ceramic-pour-over"),
    ("Wool Felt Slippers", ""),
    ("Organic Cotton Tee", ""),
    ("Rain Shell Jacket", ""),
    ("Corduroy Cap", ""),
    ("Silk Pillowcase", ""),
    ("Tea Sampler \"Five Mornings\"", "tea-sampler-five-mornings"),
    ("Oak Desk Organizer", ""),
    ("Brass Bottle Opener", ""),
    ("Enamel Camp Mug", ""),
    ("Knit Mittens", ""),
    ("Olive Oil Soap Bar", ""),
    ("Handwoven Basket", ""),
    ("Teddy <Bear> & Friends Plush", "teddy-bear-friends-plush"),
    ("Linen Napkins (Set of 4)", "linen-napkins-set-of-4"),
    ("Walnut Serving Tray", ""),
    ("Recycled Yoga Mat", ""),
    ("Cork Coasters", ""),
    ("Straw Sun Hat", ""),
    ("Chambray Overshirt", ""),
    ("Ōsaka Tea Set", "osaka-tea-set"),
    ("Porcelain Dinner Plates", ""),
    ("Copper Watering Can", ""),
    ("Alpaca Sweater", ""),
    ("Field Journal", ""),
    ("Lambswool Cardigan", ""),
    ("Marble Pestle & Mortar", "marble-pestle-and-mortar"),
    ("Travel Sewing Kit", ""),
    ("Duck Canvas Weekender", ""),
    ("Hemp Tote Bag", ""),
    ("Wooden Spoon Set", ""),
    ("Flannel Pyjamas", ""),
    ("Cotton Rope Hammock", ""),
    ("Clay Incense Holder", ""),
    ("Stainless Lunch Box", ""),
    ("Linen Bedding Set", ""),
    ("Suede Desert Boots", ""),
    ("Wool Blend Peacoat", ""),
    ("Herb Garden Kit", ""),
    ("Reading Lamp", ""),
    ("Ribbed Crew Socks", ""),
    ("Jute Door Mat", ""),
    ("Sketching Pencils", ""),
    ("Glass Storage Jars", ""),
    ("Puffer Vest", ""),
    ("Crochet Throw Pillow", ""),
    ("Ceramic Salt Cellar", ""),
    ("Bike Bell", ""),
    ("Swim Shorts", ""),
    ("Bread Proofing Basket", ""),
    ("Heavyweight Hoodie", ""),
    ("Picnic Blanket", ""),
    ("Beard Oil", ""),
    ("Gift Card", ""),
];

const DESCRIPTION_TAILS: [&str; 6] = [
    "Made in small batches from materials we would use ourselves.",
    "Designed to be used every day and repaired rather than replaced.",
    "Finished by hand, so no two are exactly alike.",
    "Sourced from a family workshop we have worked with for years.",
    "Packed without plastic and shipped in recycled cardboard.",
    "Covered by our two-year guarantee.",
];

const FIRST_NAMES: [&str; 40] = [
    "Ana",
    "Marc",
    "Camille",
    "Sam",
    "Jo",
    "Priya",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Ethan",
    "Chloé",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Björn",
    "Inês",
    "Aoife",
    "Siobhán",
    "Renée",
    "François",
    "Kwame",
    "Amara",
    "Hiroshi",
    "Mei",
    "Dmitri",
    "Ольга",
    "Ivan",
    "Fatima",
    "Omar",
    "Yasmin",
    "Daniel",
    "Grace",
    "Tomás",
    "Nora",
];

const LAST_INITIALS: [&str; 14] = [
    "A.", "B.", "C.", "D.", "G.", "H.", "K.", "L.", "M.", "N.", "P.", "R.", "S.", "W.",
];

const LOCATIONS: [&str; 16] = [
    "Lisbon, PT",
    "Austin, TX",
    "Toronto, CA",
    "Manchester, GB",
    "Lyon, FR",
    "München, DE",
    "Kraków, PL",
    "Melbourne, AU",
    "Dublin, IE",
    "São Paulo, BR",
    "Osaka, JP",
    "Cape Town, ZA",
    "Portland, OR",
    "Dubai, AE",
    "Tel Aviv, IL",
    "Oslo, NO",
];

const POSITIVE_TITLES: [&str; 12] = [
    "Love it",
    "Exactly as described",
    "Great quality",
    "Would buy again",
    "Perfect gift",
    "Better than expected",
    "Five stars",
    "Beautifully made",
    "Fast shipping, great product",
    "My new favourite",
    "Worth every penny",
    "So happy with this",
];

const MIXED_TITLES: [&str; 6] = [
    "Good, not great",
    "Nice but pricey",
    "Decent",
    "Some issues",
    "OK for the price",
    "Almost perfect",
];

const NEGATIVE_TITLES: [&str; 6] = [
    "Disappointed",
    "Not as pictured",
    "Fell apart quickly",
    "Returned it",
    "Would not recommend",
    "Poor quality",
];

const POSITIVE_SENTENCES: [&str; 16] = [
    "The quality is excellent and it feels like it will last for years.",
    "Arrived quickly and was packed with care.",
    "Exactly what I was looking for.",
    "The colour is even nicer in person.",
    "I bought one for myself and ended up ordering two more as gifts.",
    "You can tell a lot of thought went into the details.",
    "Fits perfectly and looks great.",
    "Customer service answered my question within an hour.",
    "I use it every single day.",
    "Much sturdier than the cheaper ones I had before.",
    "My partner keeps borrowing it.",
    "Washed it several times and it still looks new.",
    "The packaging was plastic-free, which I appreciate.",
    "Worth the wait.",
    "Lovely texture and a nice weight to it.",
    "Highly recommend this shop.",
];

const NEUTRAL_SENTENCES: [&str; 10] = [
    "It does the job, nothing more.",
    "Shipping took a bit longer than I expected.",
    "The size runs slightly small, so order one up.",
    "The colour is a little different from the photos.",
    "Good value, though the finish could be better.",
    "I had to ask support about the care instructions.",
    "It is fine, but I expected a bit more for the price.",
    "It took a few uses to break in.",
    "One of the stitches came loose, easy to fix.",
    "Would be perfect with a slightly longer strap.",
];

const NEGATIVE_SENTENCES: [&str; 8] = [
    "Unfortunately it arrived damaged.",
    "The material feels much thinner than described.",
    "It started to fray after two weeks.",
    "Not what the pictures show at all.",
    "I asked for a replacement and am still waiting.",
    "The seams came apart the first time I washed it.",
    "Too small even though I followed the size guide.",
    "I ended up returning it.",
];

const REPLIES: [&str; 6] = [
    "Thank you so much for the kind words!",
    "Thanks for your review, we are glad you like it.",
    "Sorry to hear that. We have sent you a replacement, please let us know when it arrives.",
    "Thank you for the feedback; we have passed it on to our workshop.",
    "We really appreciate you taking the time to write this.",
    "Sorry about the delay! Our support team will be in touch today.",
];

/// Reviews whose text tests escaping, scripts and directions.
struct Special {
    title: &'static str,
    body: &'static str,
    author: &'static str,
    location: &'static str,
}

const SPECIALS: [Special; 9] = [
    Special {
        title: "منتج رائع",
        body: "جودة ممتازة والتوصيل سريع. أنصح به بشدة!\n\nاستخدمته لمدة شهر وما زال كالجديد.",
        author: "ليلى ك.",
        location: "دبي، الإمارات",
    },
    Special {
        title: "מוצר מעולה",
        body: "איכות מצוינת, הגיע מהר. ממליצה בחום!",
        author: "נועה ל.",
        location: "תל אביב",
    },
    Special {
        title: "<b>Best</b> purchase",
        body: "I typed <script>alert('xss')</script> to see what happens. \
               Also <img src=x onerror=alert(1)> & \"quotes\" and 'apostrophes'.",
        author: "<i>Curious</i> Cat",
        location: "",
    },
    Special {
        title: "",
        body: "Great with English and العربية mixed in one line (100% happy).",
        author: "Omar F.",
        location: "Cairo, EG",
    },
    Special {
        title: "とても良い 👍",
        body: "品質がとても良いです。また買います！🎉🎉",
        author: "佐藤 美咲",
        location: "Tokyo, JP",
    },
    Special {
        title: "Größe passt",
        body: "Größe passt, Qualität überzeugt. Würde ich wieder kaufen.",
        author: "Jürgen M.",
        location: "München, DE",
    },
    Special {
        title: "A long one, sorry",
        body: "I don't usually write reviews, but this one deserves it.\n\n\
               First, the ordering: the site was quick, and I got a tracking number the same day. \
               It arrived in three days, well packed.\n\n\
               Second, the product itself. It is heavier than I expected in a good way, the \
               finish is even, and the small details (the stitching, the label) are done well.\n\n\
               Finally, after two months of daily use it still looks new. 10/10 would order again.",
        author: "Margaret W.",
        location: "Edinburgh, GB",
    },
    Special {
        title: "Fine </div> really",
        body: "Closing tags like </div></span> and entities like &amp; &lt;tag&gt; should stay as typed.",
        author: "Dev O.",
        location: "",
    },
    Special {
        title: "שירות מצוין",
        body: "המוצר הגיע תוך יומיים.\nהאריזה הייתה יפה מאוד.",
        author: "דוד כ.",
        location: "ירושלים",
    },
];

const QUESTIONS: [(&str, Option<&str>); 6] = [
    (
        "Is this machine washable?",
        Some("Yes, on a cool cycle; dry it flat."),
    ),
    (
        "Do you ship to Canada?",
        Some("We do, usually within 5 to 7 days."),
    ),
    (
        "What are the dimensions?",
        Some("See the size chart in the description."),
    ),
    ("Is it gift-wrapped?", None),
    (
        "Does the colour fade over time?",
        Some("Not noticeably in our tests."),
    ),
    ("Can I order a custom size?", None),
];

/// SplitMix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A star value drawn with the given weights for 5, 4, 3, 2 and 1 stars.
    fn stars(&mut self, weights: [u64; 5]) -> u8 {
        let mut roll = self.below(weights.iter().sum());
        for (index, weight) in weights.iter().enumerate() {
            if roll < *weight {
                return 5 - index as u8;
            }
            roll -= weight;
        }
        1
    }
}

/// Writes the demo shop, its products, reviews and questions.
pub fn seed_demo(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    let mut rng = Rng(SEED);
    let shop_id = ensure_shop(conn, DEMO_SHOP, Some(DEMO_KEY), EPOCH)?;
    let mut review_number = 0_u64;

    for (index, (title, handle)) in PRODUCTS.iter().enumerate() {
        let product = demo_product(&mut rng, index, title, handle);
        upsert_product(conn, shop_id, &product)?;

        let weights = match rng.below(10) {
            0..=5 => [70, 20, 6, 2, 2],
            6..=8 => [45, 35, 10, 5, 5],
            _ => [20, 25, 25, 15, 15],
        };
        for _ in 0..review_count(&mut rng, index) {
            review_number += 1;
            let review = demo_review(&mut rng, shop_id, &product.id, review_number, weights);
            upsert_review(conn, &review)?;
        }

        if index % 4 == 0 {
            seed_questions(conn, &mut rng, shop_id, &product.id)?;
        }
    }
    Ok(())
}

fn demo_product(rng: &mut Rng, index: usize, title: &str, handle: &str) -> Product {
    let digits = (FIRST_PRODUCT_ID + index as u64).to_string();
    let id = ProductId::parse(&digits).unwrap_or_else(|_| unreachable!("demo ids are digits"));
    let handle = if handle.is_empty() {
        slug(title)
    } else {
        handle.to_owned()
    };
    Product {
        image_url: format!("/demo/photos/product-{digits}.svg"),
        id,
        handle,
        title: title.to_owned(),
        description: format!("{title}. {}", rng.pick(&DESCRIPTION_TAILS)),
        price_cents: (9 + rng.below(150) as i64) * 100 + [0, 50, 95, 99][rng.below(4) as usize],
    }
}

/// Lower-case ASCII words joined by hyphens.
fn slug(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// How many reviews a product gets: none for every ninth product, a few
/// best sellers with hundreds, and 20 to 99 for the rest.
fn review_count(rng: &mut Rng, index: usize) -> u64 {
    match index {
        0 => 240,
        3 => 160,
        11 => 120,
        _ if index % 9 == 7 => 0,
        _ => 20 + rng.below(80),
    }
}

fn demo_review(
    rng: &mut Rng,
    shop_id: i64,
    product: &ProductId,
    number: u64,
    weights: [u64; 5],
) -> NewReview {
    let rating = rng.stars(weights);
    let created_at = EPOCH + rng.below(TWO_YEARS) as i64;

    let (title, body, author, location) = if rng.chance(6) {
        let special = rng.pick(&SPECIALS);
        (
            special.title.to_owned(),
            special.body.to_owned(),
            special.author.to_owned(),
            special.location.to_owned(),
        )
    } else {
        let author = format!("{} {}", rng.pick(&FIRST_NAMES), rng.pick(&LAST_INITIALS));
        let location = if rng.chance(60) {
            (*rng.pick(&LOCATIONS)).to_owned()
        } else {
            String::new()
        };
        (
            title_for(rng, rating),
            body_for(rng, rating),
            author,
            location,
        )
    };

    let reply = rng.chance(12).then(|| {
        let at = created_at + 86_400 + rng.below(4 * 86_400) as i64;
        ((*rng.pick(&REPLIES)).to_owned(), at)
    });
    let photos = if rng.chance(15) {
        (1..=1 + rng.below(3))
            .map(|k| Photo {
                url: format!("/demo/photos/review-{number}-{k}.svg"),
                thumb_url: format!("/demo/photos/thumb/review-{number}-{k}.svg"),
            })
            .collect()
    } else {
        Vec::new()
    };
    let up = match rng.below(10) {
        0..=4 => 0,
        5..=7 => rng.below(6),
        _ => rng.below(40),
    };
    let down = if rng.chance(25) { rng.below(5) } else { 0 };

    NewReview {
        shop_id,
        product_id: product.as_str().to_owned(),
        identity: format!("seed-{number}"),
        rating,
        title,
        body,
        email: format!("customer{number}@example.com"),
        ip_address: format!("203.0.113.{}", number % 254 + 1),
        author,
        location,
        source: (*rng.pick(&["shopify", "web", "email"])).to_owned(),
        verified: rng.chance(75),
        published: !rng.chance(3),
        created_at,
        reply,
        photos,
        votes: Votes {
            up: up as u32,
            down: down as u32,
        },
    }
}

fn title_for(rng: &mut Rng, rating: u8) -> String {
    if rng.chance(20) {
        return String::new();
    }
    let pool: &[&str] = match rating {
        4 | 5 => &POSITIVE_TITLES,
        3 => &MIXED_TITLES,
        _ => &NEGATIVE_TITLES,
    };
    (*rng.pick(pool)).to_owned()
}

/// One to six sentences in the review's mood; longer bodies are sometimes
/// split into paragraphs.
fn body_for(rng: &mut Rng, rating: u8) -> String {
    let count = 1 + rng.below(6) as usize;
    let mut sentences: Vec<&str> = Vec::with_capacity(count);
    while sentences.len() < count {
        let pool: &[&str] = match (rating, rng.below(4)) {
            (5, _) | (4, 0..=2) => &POSITIVE_SENTENCES,
            (3, _) | (4, _) | (2, 0) => &NEUTRAL_SENTENCES,
            _ => &NEGATIVE_SENTENCES,
        };
        let sentence = *rng.pick(pool);
        if !sentences.contains(&sentence) {
            sentences.push(sentence);
        }
    }
    if count >= 4 && rng.chance(50) {
        let split = 1 + rng.below(count as u64 - 1) as usize;
        format!(
            "{}\n\n{}",
            sentences[..split].join(" "),
            sentences[split..].join(" ")
        )
    } else {
        sentences.join(" ")
    }
}

fn seed_questions(
    conn: &rusqlite::Connection,
    rng: &mut Rng,
    shop_id: i64,
    product: &ProductId,
) -> Result<(), StoreError> {
    for number in 0..1 + rng.below(3) {
        let (body, answer) = *rng.pick(&QUESTIONS);
        let created_at = EPOCH + rng.below(TWO_YEARS) as i64;
        let answered_at = answer.map(|_| created_at + 86_400);
        conn.execute(
            "INSERT INTO questions (shop_id, product_id, author, email, body, answer,
                 answered_at, published, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![
                shop_id,
                product.as_str(),
                *rng.pick(&FIRST_NAMES),
                format!("asker{number}@example.com"),
                body,
                answer,
                answered_at,
                !rng.chance(10),
                created_at,
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_ascii_words() {
        assert_eq!(slug("Linen Shirt"), "linen-shirt");
        assert_eq!(slug("Roll-Top  Backpack!"), "roll-top-backpack");
    }

    #[test]
    fn star_weights_are_respected_at_the_edges() {
        let mut rng = Rng(1);
        for _ in 0..100 {
            assert_eq!(rng.stars([0, 0, 0, 0, 1]), 1);
            assert_eq!(rng.stars([1, 0, 0, 0, 0]), 5);
        }
    }

    #[test]
    fn generator_is_fixed() {
        let mut a = Rng(SEED);
        let mut b = Rng(SEED);
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }
}
