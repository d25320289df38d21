//! KPI reads: a client's KPIs, one KPI as a series, and the all-clients overview.
use super::AppState;
use super::auth::Auth;
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use futures_util::FutureExt;
use futures_util::future::{LocalBoxFuture, Shared};
use kpi_engine::kpi::inputs::Filters;
use kpi_engine::services::kpi_views::Granularity;
use kpi_engine::services::kpis::resolve_window_at;
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Called once per worker: every worker thread has its own rounds.
    cfg.app_data(web::Data::new(OverviewRounds::default()));
    cfg.route("/api/clients/{client_id}/kpis", web::get().to(client_kpis))
        .route(
            "/api/clients/{client_id}/kpis/{name}",
            web::get().to(kpi_series),
        )
        .route(
            "/api/clients/{client_id}/kpis/{name}/explain",
            web::get().to(kpi_explain),
        )
        .route("/api/kpis/overview", web::get().to(overview))
        .route(
            "/api/clients/{client_id}/losses",
            web::get().to(client_losses),
        );
}

#[derive(Deserialize)]
struct KpiQuery {
    granularity: Option<String>,
    from: Option<String>,
    to: Option<String>,
    shift: Option<String>,
    work_order_id: Option<String>,
    product_id: Option<String>,
}

async fn client_kpis(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let client_id = path.into_inner();
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    let shift = q.shift.map(|s| s.trim().to_ascii_uppercase());
    let filters = Filters {
        shift,
        work_order_id: q.work_order_id,
        product_id: q.product_id,
    };
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .client_kpis(&auth.0, client_id, window, filters)
            .await?,
    ))
}

/// The money view of losses (kpis.md §4.16) over a KPI window.
async fn client_losses(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let client_id = path.into_inner();
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    Ok(HttpResponse::Ok().json(
        state
            .engine
            .client_losses(&auth.0, client_id, window)
            .await?,
    ))
}

fn filters(q: &KpiQuery) -> Filters {
    Filters {
        shift: q.shift.as_ref().map(|s| s.trim().to_ascii_uppercase()),
        work_order_id: q.work_order_id.clone(),
        product_id: q.product_id.clone(),
    }
}

async fn kpi_series(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let (client_id, name) = path.into_inner();
    known_kpi(&name)?;
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    let granularity = Granularity::parse(q.granularity.as_deref())?;
    let series = state
        .engine
        .kpi_series(&auth.0, client_id, name, window, granularity, filters(&q))
        .await?;
    Ok(HttpResponse::Ok().json(series))
}

async fn overview(
    state: web::Data<AppState>,
    rounds: web::Data<OverviewRounds>,
    auth: Auth,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let key = format!(
        "{}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}",
        auth.0.user_id, auth.0.role, auth.0.scope, q.from, q.to
    );
    let (engine, caller) = (state.engine.clone(), auth.0);
    let body = OverviewRounds::join(rounds.into_inner(), key, move || {
        async move {
            let overview = engine
                .kpi_overview(&caller, q.from.as_deref(), q.to.as_deref())
                .await?;
            let json = serde_json::to_vec(&overview).map_err(|e| {
                tracing::error!(error = %e, "serializing the KPI overview");
                ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR)
            })?;
            Ok(Bytes::from(json))
        }
        .boxed_local()
    })
    .await
    .map_err(|e| ApiError {
        status: e.status,
        code: e.code,
        message: e.message.clone(),
        details: e.details.clone(),
        retry_after: e.retry_after,
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(body))
}

type RoundResult = Result<Bytes, Rc<ApiError>>;
type Round = Shared<LocalBoxFuture<'static, RoundResult>>;

/// Overview requests of one caller and query share computations in rounds (docs/performance.md,
/// 2026-12-08): a request joins the round that starts when the running one ends (every request
/// waiting for it arrived before it started, so each still sees every write acknowledged before
/// it was sent), or starts one when none runs. Without this, 16 dashboards that all find the
/// same few clients changed each recompute them: at one write a second to five of fifty
/// clients, the overview fell from hundreds of requests a second to 7, with p99 over 2 s. The
/// JSON is serialized once per round, too.
#[derive(Default)]
pub struct OverviewRounds(RefCell<HashMap<String, Rounds>>);

struct Rounds {
    running: (u64, Round),
    next: Option<(u64, Round)>,
    seq: u64,
}

impl OverviewRounds {
    fn join(
        this: Arc<OverviewRounds>,
        key: String,
        work: impl FnOnce() -> LocalBoxFuture<'static, Result<Bytes, ApiError>> + 'static,
    ) -> Round {
        let mut map = this.0.borrow_mut();
        let Some(rounds) = map.get_mut(&key) else {
            let round = Self::round(this.clone(), key.clone(), 0, work().boxed_local());
            map.insert(
                key,
                Rounds {
                    running: (0, round.clone()),
                    next: None,
                    seq: 0,
                },
            );
            return round;
        };
        if let Some((_, next)) = &rounds.next {
            return next.clone();
        }
        rounds.seq += 1;
        let after = rounds.running.1.clone();
        let work = async move {
            let _ = after.await;
            work().await
        };
        let round = Self::round(this.clone(), key, rounds.seq, work.boxed_local());
        rounds.next = Some((rounds.seq, round.clone()));
        round
    }

    /// `work`, then the next round becomes the running one (or the key goes).
    fn round(
        this: Arc<OverviewRounds>,
        key: String,
        id: u64,
        work: LocalBoxFuture<'static, Result<Bytes, ApiError>>,
    ) -> Round {
        async move {
            let out = work.await.map_err(Rc::new);
            let mut map = this.0.borrow_mut();
            if let Some(rounds) = map.get_mut(&key)
                && rounds.running.0 == id
            {
                match rounds.next.take() {
                    Some(next) => rounds.running = next,
                    None => {
                        map.remove(&key);
                    }
                }
            }
            out
        }
        .boxed_local()
        .shared()
    }
}

/// The KPI named in the path: 404 `unknown_kpi` with the valid names otherwise.
fn known_kpi(name: &str) -> Result<&'static str, ApiError> {
    kpi_engine::kpi::KPI_NAMES
        .iter()
        .find(|k| **k == name)
        .copied()
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_kpi",
                format!("no KPI named {name}"),
            )
            .with_detail(
                "name",
                format!("one of: {}", kpi_engine::kpi::KPI_NAMES.join(", ")),
            )
        })
}

/// One KPI with its inputs and provenance (kpis.md §5.4), for the dashboard's drill-down.
async fn kpi_explain(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    q: web::Query<KpiQuery>,
) -> ApiResult<HttpResponse> {
    let (client_id, name) = path.into_inner();
    let name = known_kpi(&name)?;
    let today = state.engine.client_today(&client_id).await?;
    let window = resolve_window_at(q.from.as_deref(), q.to.as_deref(), today)?;
    let explain = state
        .engine
        .explain_kpi(&auth.0, client_id, name, window, filters(&q))
        .await?;
    Ok(HttpResponse::Ok().json(explain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::time::Duration;

    /// A round that counts itself and answers its number after a short pause.
    fn counted(
        n: Rc<Cell<u32>>,
    ) -> impl FnOnce() -> LocalBoxFuture<'static, Result<Bytes, ApiError>> + 'static {
        move || {
            async move {
                actix_web::rt::time::sleep(Duration::from_millis(20)).await;
                n.set(n.get() + 1);
                Ok(Bytes::from(n.get().to_string()))
            }
            .boxed_local()
        }
    }

    #[actix_web::test]
    async fn a_request_never_joins_a_round_that_started_before_it() {
        // As the handler gets it: `web::Data` is an `Arc` (per worker, so never sent).
        let rounds = web::Data::new(OverviewRounds::default()).into_inner();
        let n = Rc::new(Cell::new(0));
        let join = || OverviewRounds::join(rounds.clone(), "k".into(), counted(n.clone()));
        let (first, second, third) = (join(), join(), join());
        assert_eq!(first.await.unwrap(), "1");
        // The second round runs now (second and third wait for it); a newcomer gets a third.
        let fourth = join();
        let (second, third, fourth) = futures_util::join!(second, third, fourth);
        assert_eq!(
            [second.unwrap(), third.unwrap(), fourth.unwrap()],
            ["2", "2", "3"]
        );
        assert!(rounds.0.borrow().is_empty(), "no round left behind");
        assert_eq!(join().await.unwrap(), "4");
        let other = OverviewRounds::join(rounds.clone(), "other".into(), counted(n.clone()));
        assert_eq!(other.await.unwrap(), "5", "keys do not share rounds");
    }
}
