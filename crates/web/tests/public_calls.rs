//! The public side of residents' calls under attack: what the tracking page shows before and
//! after the resident's phone check, guessing the phone tail, and flooding the public form with
//! calls and photos. On a small generated district, on both engines.

use std::io::Cursor;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::App;
use app::calls::ActionInput;
use app::demo::DemoOptions;
use dangjian_web as web;

const PHONE: &str = "13912345678";

struct Fixture {
    app: App,
    router: Router,
    /// A community's territory, where the test's calls are made.
    place: String,
    /// Last, so the database is removed after the app that uses it is gone.
    _db: store::testing::TestDb,
}

async fn fixtures() -> Vec<Fixture> {
    let mut out = Vec::new();
    let options = DemoOptions {
        members: 99,
        seed: 11,
        password: Some("Test2026pass".into()),
        ..Default::default()
    };
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    for db in app::demo::testing::demo_dbs(&options, scratch).await {
        let app = App::new(db.db());
        let root = app.public_root().await.unwrap();
        let (community, _) = app.call_communities(root).await.unwrap().remove(0);
        out.push(Fixture {
            router: web::router(app.clone()),
            place: community.territory_id.unwrap().to_string(),
            app,
            _db: db,
        });
    }
    out
}

async fn send(router: &Router, ip: &str, mut request: Request<Body>) -> (StatusCode, String) {
    let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(addr));
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|l| l.to_str().unwrap().to_string());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8_lossy(&bytes).to_string();
    (status, location.unwrap_or(body))
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn post_form(
    router: &Router,
    ip: &str,
    uri: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    let request = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .unwrap();
    send(router, ip, request).await
}

async fn get(router: &Router, ip: &str, uri: &str) -> (StatusCode, String) {
    send(router, ip, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// What the resident types into the public form.
struct Call<'a> {
    description: &'a str,
    address: &'a str,
    phone: &'a str,
    photos: Vec<Vec<u8>>,
}

impl Default for Call<'_> {
    fn default() -> Self {
        Call {
            description: "小区门口车辆乱停，消防通道被堵",
            address: "桃园小区 3 栋",
            phone: PHONE,
            photos: vec![],
        }
    }
}

/// Posts the public form from `ip`: the response's status and its redirect or page.
async fn submit(f: &Fixture, router: &Router, ip: &str, call: &Call<'_>) -> (StatusCode, String) {
    let boundary = "----dangjian-public-calls";
    let mut body = Vec::new();
    for (name, value) in [
        ("item_code", "C05-01"),
        ("territory_id", f.place.as_str()),
        ("address", call.address),
        ("description", call.description),
        ("resident_name", "王女士"),
        ("phone", call.phone),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for photo in &call.photos {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"现场.jpg\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(photo);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::post("/public/calls")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap();
    send(router, ip, request).await
}

/// The tracking code of a submission that was accepted.
fn code_of((status, location): &(StatusCode, String)) -> String {
    assert_eq!(*status, StatusCode::SEE_OTHER, "{location}");
    location
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string()
}

/// The system admin acts on a call as its holder would.
async fn act(f: &Fixture, code: &str, action: &str, text: &str) {
    let admin = f.app.actor_by_username("admin").await.unwrap();
    let id = f.app.db.call_by_tracking_code(code).await.unwrap().id;
    let input = ActionInput {
        action: action.into(),
        text: text.into(),
        ..Default::default()
    };
    f.app.act_on_call(&admin, id, &input).await.unwrap();
}

#[tokio::test]
async fn the_tracking_page_shows_what_the_resident_wrote_only_after_the_phone_check() {
    for f in fixtures().await {
        let call = Call {
            description: "楼道灯坏了，请打 13700001111 找我，身份证 11010519491231002X",
            address: "桃园小区 3 栋 502",
            ..Default::default()
        };
        let code = code_of(&submit(&f, &f.router, "10.0.0.1", &call).await);
        act(&f, &code, "acknowledge", "").await;
        act(&f, &code, "respond", "已派电工，联系人电话 13600002222").await;

        // Anyone with the code: the state and the history, numbers masked, nothing written.
        let (status, page) = get(
            &f.router,
            "10.9.0.1",
            &format!("/public/calls/track?code={code}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("办理中") && page.contains("136****2222"),
            "{page}"
        );
        for secret in [
            "楼道灯坏了",
            "桃园小区",
            "13700001111",
            "13600002222",
            "13912345678",
        ] {
            assert!(
                !page.contains(secret),
                "{secret} shown before the phone check"
            );
        }
        assert!(page.contains("手机号后四位"), "the page offers the check");

        // A wrong tail shows nothing more.
        let check = |tail: &'static str| {
            let code = code.clone();
            let router = f.router.clone();
            async move {
                post_form(
                    &router,
                    "10.9.0.1",
                    "/public/calls/track",
                    &[("code", &code), ("phone_tail", tail)],
                )
                .await
            }
        };
        let (status, page) = check("0000").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("手机号后四位不符") && !page.contains("楼道灯坏了"));

        // The resident: description and address, with numbers still masked.
        let request = Request::post("/public/calls/track")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("code={code}&phone_tail=5678")))
            .unwrap();
        let response = f.router.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let page = String::from_utf8(
            response
                .into_body()
                .collect()
                .await
                .unwrap()
                .to_bytes()
                .to_vec(),
        )
        .unwrap();
        assert!(
            page.contains("楼道灯坏了") && page.contains("桃园小区 3 栋 502"),
            "{page}"
        );
        assert!(page.contains("137****1111") && page.contains("110105********002X"));
        assert!(!page.contains("13700001111") && !page.contains("11010519491231002X"));
    }
}

#[tokio::test]
async fn guessing_the_phone_tail_locks_the_call_and_the_client() {
    for f in fixtures().await {
        let code = code_of(&submit(&f, &f.router, "10.0.0.1", &Call::default()).await);
        act(&f, &code, "acknowledge", "").await;
        act(&f, &code, "resolve", "已清理占道车辆").await;
        let rate = |router: Router, ip: &'static str, tail: &'static str| {
            let code = code.clone();
            async move {
                post_form(
                    &router,
                    ip,
                    "/public/calls/rate",
                    &[
                        ("code", &code),
                        ("phone_tail", tail),
                        ("rating", "satisfied"),
                    ],
                )
                .await
            }
        };
        // Five wrong tails, from five addresses: the call locks whoever guesses.
        let guesses = ["0000", "1111", "2222", "3333", "4444"];
        for (n, (ip, tail)) in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"]
            .into_iter()
            .zip(guesses)
            .enumerate()
        {
            let (status, page) = rate(f.router.clone(), ip, tail).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "guess {n}");
            assert!(page.contains("手机号后四位不符"), "{page}");
        }
        let (status, page) = rate(f.router.clone(), "10.1.0.6", "5678").await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "the right tail comes too late"
        );
        assert!(page.contains("已锁定"), "{page}");
        let row = f.app.db.call_by_tracking_code(&code).await.unwrap();
        assert_eq!(row.status, "resolved", "nobody closed the call");

        // The lock is kept in the database: a restarted server keeps it.
        let restarted = web::router(App::new(f.app.db.clone()));
        let (status, page) = rate(restarted.clone(), "10.1.0.7", "5678").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("已锁定"));
        let (_, page) = get(
            &restarted,
            "10.1.0.7",
            &format!("/public/calls/track?code={code}"),
        )
        .await;
        assert!(
            page.contains("已锁定") && !page.contains("name=\"phone_tail\""),
            "{page}"
        );
        // Staff see why the resident cannot rate online, and take the rating by phone.
        let admin = f.app.actor_by_username("admin").await.unwrap();
        assert_eq!(row.tail_failures, domain::calls::MAX_TAIL_FAILURES);
        let (_, session) = f
            .app
            .login(
                "admin",
                "Test2026pass",
                std::net::IpAddr::from([127, 0, 0, 1]),
            )
            .await
            .unwrap();
        let request = Request::get(format!("/calls/{}", row.id))
            .header(header::COOKIE, format!("dj_session={}", session.token))
            .body(Body::empty())
            .unwrap();
        let (status, page) = send(&f.router, "10.0.0.9", request).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("网上评价已锁定"), "{page}");
        let input = ActionInput {
            action: "rate".into(),
            rating: "satisfied".into(),
            ..Default::default()
        };
        f.app.act_on_call(&admin, row.id, &input).await.unwrap();
        let row = f.app.db.call_by_tracking_code(&code).await.unwrap();
        assert_eq!(row.status, "closed");

        // One client gets a bounded number of checks across all calls, right or wrong.
        let other = code_of(&submit(&f, &f.router, "10.0.0.2", &Call::default()).await);
        for n in 0..app::calls::TAIL_CHECKS_PER_CLIENT {
            let (status, _) = post_form(
                &f.router,
                "10.2.0.1",
                "/public/calls/track",
                &[("code", &other), ("phone_tail", "5678")],
            )
            .await;
            assert_eq!(status, StatusCode::OK, "check {n}");
        }
        let (status, page) = post_form(
            &f.router,
            "10.2.0.1",
            "/public/calls/track",
            &[("code", &other), ("phone_tail", "5678")],
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.contains("请") && page.contains("分钟后再试"), "{page}");
        let (status, _) = post_form(
            &f.router,
            "10.2.0.2",
            "/public/calls/track",
            &[("code", &other), ("phone_tail", "5678")],
        )
        .await;
        assert_eq!(status, StatusCode::OK, "another client is not affected");
        let row = f.app.db.call_by_tracking_code(&other).await.unwrap();
        assert_eq!(row.tail_failures, 0, "right tails cost the call nothing");
    }
}

/// A JPEG straight from a phone: `width`×`height`, with an EXIF block naming where it was taken.
fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(&picture)
        .unwrap();
    // A TIFF block with one ASCII entry (ImageDescription) holding the place.
    let place = b"GPS 39.9042N 116.4074E\0";
    let mut tiff = b"II*\0\x08\0\0\0\x01\0\x0e\x01\x02\0".to_vec();
    tiff.extend_from_slice(&(place.len() as u32).to_le_bytes());
    tiff.extend_from_slice(&26u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(place);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG of a few hundred bytes that claims to be `side`×`side` pixels: decoded without limits,
/// it would ask for side² × 3 bytes.
fn png_bomb(side: u32) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
        out
    };
    let mut ihdr = side.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &ihdr));
    // A zlib stream of a stored block of zeros: the start of the first rows.
    let mut idat = vec![0x78, 0x01, 0x00, 0x00, 0x01, 0xFF, 0xFE];
    idat.extend(std::iter::repeat_n(0u8, 256));
    png.extend(chunk(b"IDAT", &idat));
    png.extend(chunk(b"IEND", &[]));
    png
}

async fn calls_made(f: &Fixture) -> usize {
    let root = f.app.public_root().await.unwrap();
    f.app
        .db
        .calls_list(store::CallScope::Orgs(root), false, 10_000, 0)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn the_public_form_limits_clients_and_phones_and_shrinks_and_caps_photos() {
    for f in fixtures().await {
        // Per client: a burst of calls from one address, each with another phone.
        let per_client = app::calls::SUBMISSIONS_PER_CLIENT;
        let phones: Vec<String> = (0..=per_client).map(|i| format!("1390000{i:04}")).collect();
        for phone in &phones[..per_client as usize] {
            let call = Call {
                phone,
                ..Default::default()
            };
            code_of(&submit(&f, &f.router, "10.3.0.1", &call).await);
        }
        let before = calls_made(&f).await;
        let call = Call {
            phone: &phones[per_client as usize],
            ..Default::default()
        };
        let (status, page) = submit(&f, &f.router, "10.3.0.1", &call).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            page.contains("提交过于频繁") && page.contains("110"),
            "{page}"
        );
        assert!(
            !page.contains("消防通道被堵"),
            "refused before its upload is read"
        );
        assert_eq!(calls_made(&f).await, before, "nothing stored");
        code_of(&submit(&f, &f.router, "10.3.0.2", &call).await);

        // Per phone: one number from many addresses.
        let per_phone = app::calls::SUBMISSIONS_PER_PHONE;
        let call = Call {
            phone: "13811112222",
            ..Default::default()
        };
        for i in 0..per_phone {
            code_of(&submit(&f, &f.router, &format!("10.4.0.{i}"), &call).await);
        }
        let (status, page) = submit(&f, &f.router, "10.4.1.1", &call).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.contains("该手机号"), "{page}");

        // Photos are shrunk to 1600 px and re-encoded, which drops the EXIF block.
        let original = phone_jpeg(2400, 1800);
        let call = Call {
            phone: "13822223333",
            photos: vec![original.clone()],
            ..Default::default()
        };
        let code = code_of(&submit(&f, &f.router, "10.5.0.1", &call).await);
        let admin = f.app.actor_by_username("admin").await.unwrap();
        let id = f.app.db.call_by_tracking_code(&code).await.unwrap().id;
        let (_, _, photos) = f.app.call(&admin, id).await.unwrap();
        let (content_type, stored) = f.app.call_photo(&admin, photos[0]).await.unwrap();
        assert_eq!(content_type, "image/jpeg");
        let picture = image::ImageReader::new(Cursor::new(&stored))
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!((picture.width(), picture.height()), (1600, 1200));
        let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(contains(&original, b"39.9042N") && contains(&original, b"Exif"));
        assert!(!contains(&stored, b"39.9042N") && !contains(&stored, b"Exif"));

        // The route's own body limit stops an upload past three full photos before the app
        // sees it (the server-wide limit is far larger).
        let mut huge = vec![0xFF, 0xD8, 0xFF];
        huge.resize(web::CALL_BODY_LIMIT + 1024, 0);
        let call = Call {
            phone: "13833335555",
            photos: vec![huge],
            ..Default::default()
        };
        let (status, page) = submit(&f, &f.router, "10.5.0.3", &call).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            page.contains("照片上传失败") && !page.contains("每张照片不超过"),
            "{page}"
        );

        // A decompression bomb is refused before it is decoded.
        let before = calls_made(&f).await;
        let call = Call {
            phone: "13833334444",
            photos: vec![png_bomb(60_000)],
            ..Default::default()
        };
        let (status, page) = submit(&f, &f.router, "10.5.0.2", &call).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("照片"), "{page}");
        assert_eq!(calls_made(&f).await, before);

        // The daily cap counts what is stored today, so a restarted server keeps it.
        let root = f.app.public_root().await.unwrap();
        let today = f
            .app
            .db
            .call_photo_bytes_since(root, "web", chrono::Utc::now() - chrono::Duration::days(1))
            .await
            .unwrap();
        assert_eq!(today, stored.len() as i64);
        let mut capped = App::new(f.app.db.clone());
        capped.public_upload_bytes_per_day = today as u64 + 100;
        let capped = web::router(capped);
        let call = Call {
            phone: "13844445555",
            photos: vec![phone_jpeg(400, 300)],
            ..Default::default()
        };
        let (status, page) = submit(&f, &capped, "10.6.0.1", &call).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("今天网上提交的照片已达上限"), "{page}");
        let call = Call {
            phone: "13844445555",
            ..Default::default()
        };
        code_of(&submit(&f, &capped, "10.6.0.1", &call).await);
        // An instance that takes no photos from the public form says so.
        let mut none = App::new(f.app.db.clone());
        none.public_upload_bytes_per_day = 0;
        let call = Call {
            phone: "13855556666",
            photos: vec![phone_jpeg(40, 30)],
            ..Default::default()
        };
        let (status, page) = submit(&f, &web::router(none), "10.6.0.2", &call).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("暂不接收照片"), "{page}");
    }
}

#[tokio::test]
async fn guessing_tracking_codes_is_cut_off_per_client_on_the_page_and_in_open311() {
    for f in fixtures().await {
        let code = code_of(&submit(&f, &f.router, "10.0.0.1", &Call::default()).await);
        // A guesser walks through codes of today; each unknown one counts.
        let today = code[2..8].to_string();
        for n in 0..app::calls::CODE_MISSES_PER_CLIENT {
            let guess = format!("HY{today}{n:06}0");
            let (status, _) = get(
                &f.router,
                "10.7.0.1",
                &format!("/public/calls/track?code={guess}"),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "guess {n}");
        }
        // Now even a real code is refused to that client, in Chinese, and in Open311 too.
        let (status, page) = get(
            &f.router,
            "10.7.0.1",
            &format!("/public/calls/track?code={code}"),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.contains("查询码核对错误次数过多"), "{page}");
        let (status, body) = get(
            &f.router,
            "10.7.0.1",
            &format!("/open311/v2/requests.json?service_request_id={code}"),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        // Another client is not affected.
        let (status, _) = get(
            &f.router,
            "10.7.0.2",
            &format!("/public/calls/track?code={code}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // Open311 counts each unknown code of a list.
        let list: Vec<String> = (0..app::calls::CODE_MISSES_PER_CLIENT + 5)
            .map(|n| format!("HY{today}{n:06}1"))
            .collect();
        let (status, _) = get(
            &f.router,
            "10.7.0.3",
            &format!(
                "/open311/v2/requests.json?service_request_id={}",
                list.join(",")
            ),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
}
