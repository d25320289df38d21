//! First-run registration, login and lockout, token expiry, revocation, refused algorithms.
use crate::helpers::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[actix_web::test]
async fn first_user_must_be_admin_then_admin_only() {
    let app = spawn_bare(&[]).await;
    let body = json!({"username": "leader1", "password": "long-password-1", "email": "l@example.com", "role": "LEADER_DATACONFIG", "client_ids": ["AAA"]});
    let res = app.post("/api/auth/register", None, &body).await;
    assert_eq!(
        error_code(res).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "first_user_must_be_admin".into()
        )
    );
    // Behind a proxy (X-Forwarded-For) the peer is not loopback.
    let res = app
        .http
        .post(app.url("/api/auth/register"))
        .header("x-forwarded-for", "203.0.113.9")
        .json(&json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(res).await,
        (StatusCode::FORBIDDEN, "first_run_loopback_only".into())
    );
    let res = app.post("/api/auth/register", None, &json!({"username": "admin", "password": ADMIN_PASSWORD, "email": "a@example.com", "role": "ADMIN"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let user: Value = res.json().await.unwrap();
    assert_eq!(user["user_id"], "USR-001");
    assert!(user.get("password_hash").is_none(), "never returned");
    // Afterwards: no token → 401; a non-admin token → 403.
    let res = app.post("/api/auth/register", None, &json!({"username": "second", "password": "long-password-2", "email": "s@example.com", "role": "ADMIN"})).await;
    assert_eq!(error_code(res).await.0, StatusCode::UNAUTHORIZED);
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let app = TestApp { admin, ..app };
    app.create_client("AAA").await;
    let op = app
        .user_token("operator1", "OPERATOR_DATAENTRY", &["AAA"])
        .await;
    let res = app.post("/api/auth/register", Some(&op), &json!({"username": "third", "password": "long-password-3", "email": "t@example.com", "role": "ADMIN"})).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::FORBIDDEN, "forbidden".into())
    );
}

#[actix_web::test]
async fn password_rules_and_assignment_rules() {
    let app = spawn_app().await;
    app.create_client("AAA").await;
    let cases = [
        (
            json!({"username": "shorty", "password": "short", "email": "x@example.com", "role": "ADMIN"}),
            "validation_failed",
        ),
        (
            json!({"username": "sameuser1", "password": "sameuser1", "email": "x@example.com", "role": "ADMIN"}),
            "validation_failed",
        ),
        (
            json!({"username": "leader2", "password": "long-password-1", "email": "x@example.com", "role": "LEADER_DATACONFIG"}),
            "client_assignment_required",
        ),
        (
            json!({"username": "power1", "password": "long-password-1", "email": "x@example.com", "role": "POWERUSER", "client_ids": ["AAA"]}),
            "client_ids_not_applicable",
        ),
        (
            json!({"username": "weird1", "password": "long-password-1", "email": "x@example.com", "role": "KING"}),
            "validation_failed",
        ),
    ];
    for (body, code) in cases {
        let res = app.post("/api/users", Some(&app.admin), &body).await;
        assert_eq!(
            error_code(res).await,
            (StatusCode::UNPROCESSABLE_ENTITY, code.into()),
            "{body}"
        );
    }
}

#[actix_web::test]
async fn login_same_401_for_unknown_and_wrong_then_lockout() {
    let app = spawn_app().await;
    let wrong = app
        .post(
            "/api/auth/login",
            None,
            &json!({"username": "admin", "password": "nope-nope-nope"}),
        )
        .await;
    let w: Value = wrong.json().await.unwrap();
    let unknown = app
        .post(
            "/api/auth/login",
            None,
            &json!({"username": "ghost", "password": "nope-nope-nope"}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let u: Value = unknown.json().await.unwrap();
    assert_eq!(w["error"]["message"], u["error"]["message"]);
    assert_eq!(w["error"]["message"], "Invalid username or password");
    // 4 more failures (5 in all) lock the account: even the right password gets 429.
    for _ in 0..4 {
        let res = app
            .post(
                "/api/auth/login",
                None,
                &json!({"username": "admin", "password": "still-wrong-1"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post(
            "/api/auth/login",
            None,
            &json!({"username": "admin", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert!(res.headers().get("retry-after").is_some());
    assert_eq!(
        error_code(res).await,
        (StatusCode::TOO_MANY_REQUESTS, "account_locked".into())
    );
}

#[actix_web::test]
async fn login_rate_limit_per_ip() {
    let app = spawn_app().await; // spawn_app used 1 login
    let mut last = StatusCode::OK;
    for i in 0..10 {
        let res = app
            .post(
                "/api/auth/login",
                None,
                &json!({"username": format!("nobody{i}"), "password": "whatever-123"}),
            )
            .await;
        last = res.status();
        if last == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers().get("retry-after").is_some());
            assert_eq!(error_code(res).await.1, "rate_limited");
            break;
        }
    }
    assert_eq!(
        last,
        StatusCode::TOO_MANY_REQUESTS,
        "the 11th attempt within a minute is refused"
    );
}

fn token_with(claims: Value, secret: &str, alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_web::test]
async fn expired_wrongly_signed_and_alg_none_tokens_are_refused() {
    let app = spawn_app().await;
    let me = app.get("/api/auth/me", Some(&app.admin)).await;
    assert_eq!(me.status(), StatusCode::OK);
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["role"], "ADMIN");
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| json!({"sub": "USR-001", "role": "ADMIN", "iat": now - 7200, "exp": exp, "jti": "x", "tv": 1});
    let valid = token_with(claims(now + 600), JWT_SECRET, Algorithm::HS256);
    assert_eq!(
        app.get("/api/auth/me", Some(&valid)).await.status(),
        StatusCode::OK,
        "a hand-made valid token works"
    );
    let expired = token_with(claims(now - 1), JWT_SECRET, Algorithm::HS256);
    assert_eq!(
        error_code(app.get("/api/auth/me", Some(&expired)).await)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let foreign = token_with(
        claims(now + 600),
        "another-secret-another-secret-xx",
        Algorithm::HS256,
    );
    assert_eq!(
        error_code(app.get("/api/auth/me", Some(&foreign)).await)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let hs512 = token_with(claims(now + 600), JWT_SECRET, Algorithm::HS512);
    assert_eq!(
        error_code(app.get("/api/auth/me", Some(&hs512)).await)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // alg = none: header {"alg":"none"}, payload, empty signature.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        b64.encode(claims(now + 600).to_string())
    );
    assert_eq!(
        error_code(app.get("/api/auth/me", Some(&none)).await)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        error_code(app.get("/api/auth/me", None).await).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn change_password_revokes_older_tokens() {
    let app = spawn_app().await;
    let old = app.admin.clone();
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&old),
            &json!({"current_password": "wrong-one-123", "new_password": "brand-new-pass-1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post(
            "/api/auth/change-password",
            Some(&old),
            &json!({"current_password": ADMIN_PASSWORD, "new_password": "brand-new-pass-1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let fresh = body["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/auth/me", Some(&old)).await.status(),
        StatusCode::UNAUTHORIZED,
        "older token revoked"
    );
    assert_eq!(
        app.get("/api/auth/me", Some(fresh)).await.status(),
        StatusCode::OK
    );
    app.login("admin", "brand-new-pass-1").await;
}

#[actix_web::test]
async fn deactivated_user_and_last_admin() {
    let app = spawn_app().await;
    app.create_client("AAA").await;
    let op = app
        .user_token("operator1", "OPERATOR_DATAENTRY", &["AAA"])
        .await;
    let res = app.delete("/api/users/USR-002", Some(&app.admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/auth/me", Some(&op)).await.status(),
        StatusCode::UNAUTHORIZED,
        "deactivation revokes at once"
    );
    let res = app
        .post(
            "/api/auth/login",
            None,
            &json!({"username": "operator1", "password": "operator1-password-1"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = app.delete("/api/users/USR-001", Some(&app.admin)).await;
    assert_eq!(
        error_code(res).await,
        (StatusCode::CONFLICT, "last_admin".into())
    );
}
