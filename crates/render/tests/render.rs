//! Rendering tests over the public API: star rounding, one-decimal text,
//! accessible names, plurals, escaping of every text field and the
//! widget's structure.

use starling_model::{
    Badge, Histogram, Photo, ProductId, Rating, Reply, Review, ReviewsResponse, Sort, Summary,
    Votes,
};
use starling_render::{
    ReviewsView, badge, escape, pagination, qna_badge, rating_label, review, sort_select, widget,
};

const FULL: &str = "stamped-fa-star";
const HALF: &str = "stamped-fa-star-half-o";
const EMPTY: &str = "stamped-fa-star-o";

fn product() -> ProductId {
    ProductId::parse("7000000000001").expect("valid id")
}

fn badge_of(hundredths: u16, count: u32) -> Badge {
    Badge {
        product_id: product(),
        average: Rating::from_hundredths(hundredths),
        count,
        questions: 0,
    }
}

/// Classes of the star glyphs in document order.
fn glyphs(html: &str) -> Vec<&str> {
    html.split("<i class=\"stamped-fa ")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|class| class.starts_with("stamped-fa-star"))
        .collect()
}

/// Value of the first `name="…"` attribute.
fn attribute<'a>(html: &'a str, name: &str) -> &'a str {
    let key = format!(" {name}=\"");
    let start = html.find(&key).expect(name) + key.len();
    let len = html[start..].find('"').expect("closing quote");
    &html[start..start + len]
}

/// Text of the element whose opening tag contains `marker`.
fn text_after<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html.find(marker).expect(marker);
    let open_end = start + html[start..].find('>').expect("tag end") + 1;
    let len = html[open_end..].find('<').expect("next tag");
    &html[open_end..open_end + len]
}

#[test]
fn badge_stars_text_and_name_agree_for_every_rounding_edge() {
    let cases: [(u16, u32, [&str; 5], &str, &str); 11] = [
        (0, 0, [EMPTY; 5], "0.0", "No reviews yet"),
        (
            100,
            3,
            [FULL, EMPTY, EMPTY, EMPTY, EMPTY],
            "1.0",
            "Rated 1.0 out of 5 stars, 3 reviews",
        ),
        (
            124,
            3,
            [FULL, EMPTY, EMPTY, EMPTY, EMPTY],
            "1.2",
            "Rated 1.2 out of 5 stars, 3 reviews",
        ),
        (
            125,
            4,
            [FULL, HALF, EMPTY, EMPTY, EMPTY],
            "1.3",
            "Rated 1.3 out of 5 stars, 4 reviews",
        ),
        (
            274,
            50,
            [FULL, FULL, HALF, EMPTY, EMPTY],
            "2.7",
            "Rated 2.7 out of 5 stars, 50 reviews",
        ),
        (
            275,
            4,
            [FULL, FULL, FULL, EMPTY, EMPTY],
            "2.8",
            "Rated 2.8 out of 5 stars, 4 reviews",
        ),
        (
            424,
            25,
            [FULL, FULL, FULL, FULL, EMPTY],
            "4.2",
            "Rated 4.2 out of 5 stars, 25 reviews",
        ),
        (
            425,
            4,
            [FULL, FULL, FULL, FULL, HALF],
            "4.3",
            "Rated 4.3 out of 5 stars, 4 reviews",
        ),
        (
            474,
            50,
            [FULL, FULL, FULL, FULL, HALF],
            "4.7",
            "Rated 4.7 out of 5 stars, 50 reviews",
        ),
        (
            475,
            4,
            [FULL; 5],
            "4.8",
            "Rated 4.8 out of 5 stars, 4 reviews",
        ),
        (
            500,
            1,
            [FULL; 5],
            "5.0",
            "Rated 5.0 out of 5 stars, 1 review",
        ),
    ];
    for (hundredths, count, stars, text, name) in cases {
        let html = badge(&badge_of(hundredths, count));
        assert_eq!(glyphs(&html), stars, "stars of {hundredths}");
        assert_eq!(
            attribute(&html, "data-rating"),
            text,
            "text of {hundredths}"
        );
        assert_eq!(attribute(&html, "aria-label"), name, "name of {hundredths}");
        assert_eq!(
            rating_label(Rating::from_hundredths(hundredths), count),
            name
        );
        let caption = text_after(&html, "class=\"stamped-badge-caption\"");
        if count == 0 {
            assert_eq!(caption, "No reviews yet");
        } else {
            assert_eq!(
                caption,
                format!("{text} ({count})"),
                "caption of {hundredths}"
            );
        }
    }
}

#[test]
fn badge_keeps_legacy_classes_and_data_attributes() {
    let html = badge(&badge_of(467, 20));
    assert!(html.starts_with("<span class=\"stamped-badge\" role=\"img\""));
    assert!(html.contains("<span class=\"stamped-starrating stamped-badge-starrating\""));
    assert!(html.contains(
        "<span class=\"stamped-badge-caption\" data-reviews=\"20\" data-rating=\"4.7\" \
         data-label=\"reviews\""
    ));
    assert_eq!(
        attribute(&html, "aria-label"),
        "Rated 4.7 out of 5 stars, 20 reviews"
    );
    assert_eq!(glyphs(&html), [FULL, FULL, FULL, FULL, HALF]);
    assert!(
        html.matches("aria-hidden=\"true\"></i>").count() == 5,
        "every glyph is hidden from assistive technology"
    );
}

#[test]
fn badge_with_zero_count_shows_empty_stars_whatever_the_average() {
    let html = badge(&badge_of(450, 0));
    assert_eq!(glyphs(&html), [EMPTY; 5]);
    assert_eq!(attribute(&html, "aria-label"), "No reviews yet");
    assert_eq!(attribute(&html, "data-reviews"), "0");
}

#[test]
fn counts_are_singular_for_one() {
    assert_eq!(
        rating_label(Rating::from_hundredths(500), 1),
        "Rated 5.0 out of 5 stars, 1 review"
    );
    assert_eq!(
        rating_label(Rating::from_hundredths(450), 2),
        "Rated 4.5 out of 5 stars, 2 reviews"
    );
    assert_eq!(attribute(&badge(&badge_of(500, 1)), "data-label"), "review");

    let questions = |n| {
        qna_badge(&Badge {
            questions: n,
            ..badge_of(0, 0)
        })
    };
    assert_eq!(
        text_after(&questions(0), "stamped-badge-caption"),
        "No questions yet"
    );
    assert_eq!(
        text_after(&questions(1), "stamped-badge-caption"),
        "1 question"
    );
    assert_eq!(
        text_after(&questions(3), "stamped-badge-caption"),
        "3 questions"
    );
    assert_eq!(attribute(&questions(3), "data-questions"), "3");
}

/// Writes a payload into one field of a review.
type Setter = fn(&mut Review, &str);

const PAYLOADS: [&str; 4] = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "' onmouseover='alert(1)",
    "&amp;",
];

fn sample_review() -> Review {
    Review {
        id: "r_1".to_owned(),
        rating: 4,
        title: "Fits perfectly".to_owned(),
        body: "Line one\nLine two".to_owned(),
        author: "Ana P.".to_owned(),
        location: "Lisbon, PT".to_owned(),
        created_at: "2025-03-02T10:12:00Z".to_owned(),
        verified: true,
        reply: Some(Reply {
            body: "Thank you, Ana!".to_owned(),
            created_at: "2025-03-03T08:00:00Z".to_owned(),
        }),
        photos: vec![Photo {
            url: "https://cdn.example/p/1.jpg".to_owned(),
            thumb_url: "https://cdn.example/p/1-thumb.jpg".to_owned(),
        }],
        votes: Votes { up: 3, down: 1 },
    }
}

fn response(reviews: Vec<Review>, page: u32, pages: u32) -> ReviewsResponse {
    ReviewsResponse {
        product_id: product(),
        summary: Summary {
            average: Rating::from_hundredths(467),
            count: 3,
            histogram: Histogram {
                five: 2,
                four: 1,
                ..Histogram::default()
            },
        },
        page,
        per_page: 5,
        pages,
        reviews,
    }
}

/// The payload must appear only escaped: no raw `<`, `>` or quote from it.
fn assert_escaped(html: &str, payload: &str, field: &str) {
    assert!(
        html.contains(&escape(payload)),
        "{field}: escaped payload missing in {html}"
    );
    if payload.contains(['<', '>', '"', '\'']) {
        assert!(!html.contains(payload), "{field}: raw payload in {html}");
    }
    assert!(!html.contains("<script"), "{field}: script tag in {html}");
    assert!(
        !html.contains("<img src=x"),
        "{field}: injected img in {html}"
    );
}

#[test]
fn every_review_text_field_is_escaped() {
    for payload in PAYLOADS {
        let fields: [(&str, Setter); 6] = [
            ("title", |r, p| r.title = p.to_owned()),
            ("body", |r, p| r.body = p.to_owned()),
            ("author", |r, p| r.author = p.to_owned()),
            ("location", |r, p| r.location = p.to_owned()),
            ("reply", |r, p| {
                r.reply = Some(Reply {
                    body: p.to_owned(),
                    created_at: "2025-03-03T08:00:00Z".to_owned(),
                })
            }),
            ("id", |r, p| r.id = p.to_owned()),
        ];
        for (field, set) in fields {
            let mut item = sample_review();
            set(&mut item, payload);
            let html = review(&item, "Shirt");
            assert_escaped(&html, payload, field);
            let whole = widget(&response(vec![item], 1, 1), ReviewsView::default());
            assert_escaped(&whole, payload, field);
        }
    }
}

#[test]
fn photo_urls_are_escaped_and_unsafe_schemes_dropped() {
    let mut item = sample_review();
    item.photos = vec![
        Photo {
            url: "https://cdn.example/a.jpg?x=\"><script>alert(1)</script>&amp;".to_owned(),
            thumb_url: "/demo/photos/a.svg?'onerror='alert(1)".to_owned(),
        },
        Photo {
            url: "javascript:alert(1)".to_owned(),
            thumb_url: "https://cdn.example/b.jpg".to_owned(),
        },
    ];
    let html = review(&item, "");
    assert!(html.contains(
        "href=\"https://cdn.example/a.jpg?x=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;\""
    ));
    assert!(
        html.contains("src=\"/demo/photos/a.svg?&#39;onerror=&#39;alert(1)\" loading=\"lazy\"")
    );
    assert!(!html.contains("javascript:"));
    assert_eq!(html.matches("<img ").count(), 1);
}

#[test]
fn product_title_is_escaped() {
    for payload in PAYLOADS {
        let html = review(&sample_review(), payload);
        assert_escaped(&html, payload, "product title");
        let view = ReviewsView {
            product_title: payload,
            ..ReviewsView::default()
        };
        let whole = widget(&response(vec![sample_review()], 1, 1), view);
        assert_escaped(&whole, payload, "product title");
    }
}

#[test]
fn review_item_has_the_legacy_structure() {
    let html = review(&sample_review(), "Linen Shirt");
    assert!(html.starts_with(
        "<div class=\"stamped-review\" id=\"stamped-review-r_1\" data-review-id=\"r_1\" \
         data-verified=\"true\">"
    ));
    for part in [
        "<div class=\"stamped-review-header\">",
        "<span class=\"created\"><time datetime=\"2025-03-02T10:12:00Z\">Mar 2, 2025</time></span>",
        "<strong class=\"author\">Ana P.</strong>",
        "<span class=\"stamped-verified-badge\">Verified Buyer</span>",
        "<span class=\"review-location\">Lisbon, PT</span>",
        "<div class=\"stamped-review-header-starratings\">",
        "<h3 class=\"stamped-review-header-title\">Fits perfectly</h3>",
        "<p class=\"stamped-review-content-body\">Line one<br>Line two</p>",
        "<div class=\"stamped-review-reply-body\">Thank you, Ana!</div>",
        "<img src=\"https://cdn.example/p/1-thumb.jpg\" loading=\"lazy\"",
        "alt=\"Review photo of Linen Shirt\"",
        "<a class=\"stamped-thumbs-up\" data-rating=\"1\" data-review-id=\"r_1\"",
        "<a class=\"stamped-thumbs-down\" data-rating=\"-1\" data-review-id=\"r_1\"",
    ] {
        assert!(html.contains(part), "missing {part} in {html}");
    }
    assert_eq!(glyphs(&html), [FULL, FULL, FULL, FULL, EMPTY]);
    assert!(!html.contains("dir=\"auto\""));
}

#[test]
fn right_to_left_text_gets_dir_auto() {
    let mut item = sample_review();
    item.title = "منتج رائع".to_owned();
    item.body = "جودة ممتازة\nأنصح به".to_owned();
    item.author = "سارة".to_owned();
    let html = review(&item, "");
    assert!(html.contains("<h3 class=\"stamped-review-header-title\" dir=\"auto\">منتج رائع</h3>"));
    assert!(html.contains(
        "<p class=\"stamped-review-content-body\" dir=\"auto\">جودة ممتازة<br>أنصح به</p>"
    ));
    assert!(html.contains("<strong class=\"author\" dir=\"auto\">سارة</strong>"));
    assert!(html.contains("<span class=\"review-location\">Lisbon, PT</span>"));
}

#[test]
fn widget_has_container_summary_histogram_select_and_list() {
    let view = ReviewsView {
        sort: Sort::Highest,
        rating: Some(5),
        product_title: "Linen Shirt",
    };
    let html = widget(&response(vec![sample_review()], 1, 1), view);
    assert!(html.starts_with(
        "<div class=\"stamped-container\" data-count=\"3\" data-widget-style=\"standard\" \
         data-widget-sort=\"highest\""
    ));
    assert!(html.contains("aria-label=\"Rated 4.7 out of 5 stars, 3 reviews\""));
    assert!(html.contains("<span class=\"stamped-summary-text\">Based on 3 reviews</span>"));
    // Rows 5 to 1, the selected one marked, bars sized by share.
    let starts: Vec<usize> = html
        .match_indices("<div class=\"summary-rating")
        .map(|(at, m)| at + m.len())
        .filter(|&at| html[at..].starts_with('"') || html[at..].starts_with(" selected\""))
        .collect();
    let rows: Vec<&str> = starts
        .iter()
        .enumerate()
        .map(|(i, &at)| &html[at..starts.get(i + 1).copied().unwrap_or(html.len())])
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(rows[0].starts_with(" selected\" data-rating=\"5\""));
    assert!(rows[0].contains("aria-pressed=\"true\""));
    assert!(rows[0].contains("style=\"width:67%\""));
    assert!(rows[0].contains("<div class=\"summary-rating-count\" aria-hidden=\"true\">2</div>"));
    assert!(rows[1].starts_with("\" data-rating=\"4\""));
    assert!(rows[1].contains("style=\"width:33%\""));
    assert!(rows[4].starts_with("\" data-rating=\"1\""));
    assert!(rows[4].contains("style=\"width:0%\""));
    assert!(html.contains("<div class=\"summary-rating-bar selected\" data-rating=\"5\""));
    assert!(html.contains("<option value=\"highest\" selected>"));
    assert!(html.contains("<div class=\"stamped-reviews\" data-filtered=\"true\">"));
    assert!(html.contains("class=\"stamped-summary-actions-clear\""));
    assert!(!html.contains("stamped-pagination"));
}

#[test]
fn widget_without_reviews_says_so() {
    let mut empty = response(Vec::new(), 1, 0);
    empty.summary = Summary {
        average: Rating::default(),
        count: 0,
        histogram: Histogram::default(),
    };
    let html = widget(&empty, ReviewsView::default());
    assert!(html.contains("aria-label=\"No reviews yet\""));
    assert_eq!(glyphs(&html), [EMPTY; 5]);
    assert!(html.contains("<p class=\"stamped-empty-state\">No reviews yet</p>"));
}

#[test]
fn sort_select_matches_canonical_and_legacy_values() {
    let html = sort_select(Sort::parse("highest-rating").expect("legacy alias"));
    assert!(html.starts_with("<select id=\"stamped-sort-select\" class=\"stamped-sort-select\""));
    assert!(html.contains("<option value=\"highest\" selected>"));
    assert_eq!(html.matches(" selected>").count(), 1);
    for value in ["recent", "highest", "lowest", "helpful", "with_photos"] {
        assert!(
            html.contains(&format!("<option value=\"{value}\"")),
            "{value}"
        );
    }
    let legacy = sort_select(Sort::parse("least-votes").expect("legacy"));
    assert!(legacy.contains("<option value=\"least-votes\" selected>"));
    assert!(!sort_select(Sort::Recent).contains("least-votes"));
}

#[test]
fn pagination_marks_the_active_page_and_links_neighbours() {
    assert_eq!(pagination(1, 1), "");
    let html = pagination(2, 3);
    assert!(html.contains("<li class=\"previous\"><a href=\"#\" data-page=\"1\""));
    assert!(html.contains(
        "<li class=\"page active\"><a href=\"#\" data-page=\"2\" aria-current=\"page\">2</a></li>"
    ));
    assert!(html.contains("<li class=\"next\"><a href=\"#\" data-page=\"3\""));
    assert_eq!(html.matches("<li class=\"page").count(), 3);

    let long = pagination(10, 20);
    let pages: Vec<&str> = long
        .split("<li class=\"page")
        .skip(1)
        .filter(|p| !p.starts_with("-gap"))
        .map(|p| text_after(p, "data-page"))
        .collect();
    assert_eq!(pages, ["1", "8", "9", "10", "11", "12", "20"]);
    assert_eq!(long.matches("page-gap").count(), 2);
    assert!(!pagination(1, 20).contains("class=\"previous\""));
    assert!(!pagination(20, 20).contains("class=\"next\""));
}
