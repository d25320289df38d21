//! OpenAPI 3.1 document, built once from the route table below and the resource declarations
//! (so every generic resource route and its fields are described), plus Swagger UI served from
//! the binary (utoipa-swagger-ui's vendored copy; nothing is downloaded).
use actix_web::{HttpRequest, HttpResponse, web};
use kpi_engine::resources::{Kind, Req, defs};
use serde_json::{Map, Value, json};
use std::sync::{Arc, LazyLock};

/// (method, path, summary, tag, needs a token, has a JSON body, success status)
type Route = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
    u16,
);

pub const ROUTES: &[Route] = &[
    (
        "get",
        "/health",
        "Service health with dependency probes",
        "health",
        false,
        false,
        200,
    ),
    (
        "get",
        "/health/live",
        "Liveness",
        "health",
        false,
        false,
        200,
    ),
    (
        "get",
        "/health/ready",
        "Readiness",
        "health",
        false,
        false,
        200,
    ),
    (
        "get",
        "/metrics",
        "Prometheus metrics",
        "health",
        false,
        false,
        200,
    ),
    (
        "get",
        "/api/openapi.json",
        "This document",
        "docs",
        false,
        false,
        200,
    ),
    ("get", "/api/docs", "Swagger UI", "docs", false, false, 200),
    (
        "post",
        "/api/auth/register",
        "Register a user (first run: loopback ADMIN only; then ADMIN)",
        "auth",
        false,
        true,
        201,
    ),
    (
        "post",
        "/api/auth/login",
        "Log in; returns a bearer token",
        "auth",
        false,
        true,
        200,
    ),
    (
        "get",
        "/api/auth/me",
        "The caller and their visible clients",
        "auth",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/auth/change-password",
        "Change the caller's password (revokes older tokens)",
        "auth",
        true,
        true,
        200,
    ),
    (
        "get",
        "/api/users",
        "List users (ADMIN)",
        "users",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/users",
        "Create a user (ADMIN)",
        "users",
        true,
        true,
        201,
    ),
    (
        "get",
        "/api/users/{user_id}",
        "Get a user (ADMIN)",
        "users",
        true,
        false,
        200,
    ),
    (
        "patch",
        "/api/users/{user_id}",
        "Change a user (ADMIN)",
        "users",
        true,
        true,
        200,
    ),
    (
        "delete",
        "/api/users/{user_id}",
        "Deactivate a user (ADMIN)",
        "users",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients",
        "List visible clients",
        "clients",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/clients",
        "Create a client (ADMIN)",
        "clients",
        true,
        true,
        201,
    ),
    (
        "get",
        "/api/clients/{client_id}",
        "Get a client",
        "clients",
        true,
        false,
        200,
    ),
    (
        "patch",
        "/api/clients/{client_id}",
        "Change a client",
        "clients",
        true,
        true,
        200,
    ),
    (
        "delete",
        "/api/clients/{client_id}",
        "Deactivate a client (ADMIN)",
        "clients",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/settings",
        "Current settings version",
        "clients",
        true,
        false,
        200,
    ),
    (
        "put",
        "/api/clients/{client_id}/settings",
        "Store a new settings version",
        "clients",
        true,
        true,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/shift-status",
        "Per line-shift: counts, missing resources, expected, closed",
        "shifts",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/shift-closes",
        "Closed line-shifts of a window",
        "shifts",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/clients/{client_id}/shift-closes",
        "Close a line-shift (ADMIN, assigned LEADER); reports missing data",
        "shifts",
        true,
        true,
        201,
    ),
    (
        "delete",
        "/api/clients/{client_id}/shift-closes/{shift_close_id}",
        "Reopen a closed line-shift (ADMIN)",
        "shifts",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/kpis",
        "KPI values of a client over a window",
        "kpis",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/kpis/{name}",
        "One KPI as a series by shift, day, week or month (granularity), plus the whole window",
        "kpis",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/kpis/{name}/explain",
        "One KPI with its provenance (kpis.md §5.4): script_input, result (as GET kpis), formula {version, scope global|client, source_sha256}, settings_version, pairs {total, recorded, inferred}, fields [{field, levels [{level, score, strategy, pairs}]}], inferred [{record, field, value, level, score, strategy, source}] (≤ 1 000, then truncated), components (oee)",
        "kpis",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/reports/daily.pdf",
        "Daily KPI report as PDF (date, default yesterday in the client's time zone)",
        "reports",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/reports/kpis.xlsx",
        "KPI workbook (summary, daily values, raw data per module) over a window",
        "reports",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/clients/{client_id}/reports/email",
        "Queue the daily report for e-mail (recipients from the body or the subscription)",
        "reports",
        true,
        true,
        202,
    ),
    (
        "get",
        "/api/admin/outbox",
        "Outbox messages with status, attempts and last error (ADMIN)",
        "admin",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/admin/outbox/{message_id}/retry",
        "Queue a FAILED outbox message again (ADMIN)",
        "admin",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/kpis/overview",
        "Every visible active client's KPIs in one call",
        "kpis",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/clients/{client_id}/losses",
        "Losses in money (kpis.md §4.16): {currency, items [{category downtime|speed|defects, group_by shift_type|product_id, group, amount, estimated}], top [5 largest by product]}; costs not set → currency null, no items",
        "kpis",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/kpi-scripts",
        "Formula scripts: current global version of each KPI and the overrides of visible clients; every role",
        "kpi-scripts",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/kpi-scripts/{name}",
        "A formula script (?client_id: the script in force for that client) with its version history; every role",
        "kpi-scripts",
        true,
        false,
        200,
    ),
    (
        "put",
        "/api/kpi-scripts/{name}",
        "Publish a new version {source, comment, client_id?} after its check (422 script_check_failed); ADMIN",
        "kpi-scripts",
        true,
        true,
        200,
    ),
    (
        "post",
        "/api/kpi-scripts/{name}/check",
        "Check a draft {source, client_id?, backtest?}: compile, @case tests, back-test over the last 8 complete ISO weeks; ADMIN, POWERUSER",
        "kpi-scripts",
        true,
        true,
        200,
    ),
    (
        "post",
        "/api/kpi-scripts/{name}/rollback",
        "Copy version N into a new version {version, client_id?, comment?}; {version: null, client_id} removes the client's override; ADMIN",
        "kpi-scripts",
        true,
        true,
        200,
    ),
    (
        "post",
        "/api/admin/backups",
        "Start an online backup now; 202 {backup_id, status: running}, 409 backup_in_progress; ADMIN",
        "backups",
        true,
        false,
        202,
    ),
    (
        "get",
        "/api/admin/backups",
        "Backups with their manifests (size, sha256, integrity, row counts, status), newest first; ADMIN",
        "backups",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/audit",
        "Audit trail, newest first (?client_id, entity, entity_id, user_id, action, from, to, limit, cursor); ADMIN, POWERUSER, LEADER (assigned clients)",
        "audit",
        true,
        false,
        200,
    ),
    (
        "get",
        "/api/imports",
        "Import log (?client_id, resource, from, to, limit, cursor); ADMIN, POWERUSER all, LEADER assigned clients, OPERATOR own",
        "imports",
        true,
        false,
        200,
    ),
    (
        "post",
        "/api/imports/{token}/confirm",
        "Commit exactly the previewed valid rows (?all_or_nothing=true; Idempotency-Key); single use, 30 min",
        "imports",
        true,
        false,
        201,
    ),
    (
        "get",
        "/api/imports/{token}/rows",
        "Rows of a preview past the first 200 (?cursor, limit); the previewing user only",
        "imports",
        true,
        false,
        200,
    ),
];

fn field_schema(kind: Kind) -> Value {
    match kind {
        Kind::Text(n) | Kind::Notes(n) => json!({"type": "string", "maxLength": n}),
        Kind::Id(n) => json!({"type": "string", "maxLength": n, "pattern": "^[A-Za-z0-9_.-]+$"}),
        Kind::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Dec {
            min,
            max,
            min_exclusive: true,
        } => json!({"type": "number", "exclusiveMinimum": min, "maximum": max}),
        Kind::Dec { min, max, .. } => json!({"type": "number", "minimum": min, "maximum": max}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Date => json!({"type": "string", "format": "date"}),
        Kind::Time => json!({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"}),
        Kind::Enum(values) => json!({"type": "string", "enum": values}),
    }
}

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn operation(
    summary: &str,
    tag: &str,
    auth: bool,
    body: Option<Value>,
    status: u16,
    params: Vec<Value>,
) -> Value {
    let mut op = json!({
        "summary": summary,
        "tags": [tag],
        "parameters": params,
        "responses": {status.to_string(): {"description": "success"}, "400": error_response("malformed request"), "422": error_response("validation failed")},
    });
    if auth {
        op["security"] = json!([{"bearer": []}]);
        op["responses"]["401"] = error_response("missing, invalid, expired or revoked token");
        op["responses"]["403"] = error_response("role or client forbids it");
        op["responses"]["404"] = error_response("not found");
    }
    if let Some(schema) = body {
        op["requestBody"] =
            json!({"required": true, "content": {"application/json": {"schema": schema}}});
    }
    op
}

/// `settings.inference.chains`: one optional list per chain key of kpis.md §5.2, each naming
/// strategies of that chain only. Naming an off-by-default strategy switches it on; built-in
/// strategies always run in their built-in order.
fn inference_chains_schema() -> Value {
    use kpi_engine::kpi::chains::{CHAINS, OFF_BY_DEFAULT};
    let props: Map<String, Value> = CHAINS
        .iter()
        .map(|(key, steps)| {
            let mut names: Vec<&str> = steps.iter().map(|s| s.1).collect();
            names.dedup();
            let off: Vec<&str> = OFF_BY_DEFAULT
                .iter()
                .filter(|(chain, _)| chain == key)
                .map(|(_, strategy)| *strategy)
                .collect();
            let description = if off.is_empty() {
                "built-in strategies, always on in this order".to_owned()
            } else {
                format!(
                    "built-in strategies in this order; off by default: {}",
                    off.join(", ")
                )
            };
            let schema = json!({"type": "array", "uniqueItems": true, "description": description,
                "items": {"type": "string", "enum": names}});
            ((*key).to_owned(), schema)
        })
        .collect();
    json!({"type": "object", "additionalProperties": false, "properties": props,
        "description": "Chain key → strategies (kpis.md §5.2); an unknown key or strategy is a 422"})
}

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

fn build() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
            "required": ["code", "message", "details", "request_id"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "request_id": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}, "line": {"type": "integer"}, "code": {"type": "string"}}}}}}}}),
    );
    // Settings: the chain keys and their strategies are a fixed list (clarification).
    schemas.insert("InferenceChains".into(), inference_chains_schema());
    schemas.insert(
        "SettingsVersionBody".into(),
        json!({"type": "object", "required": ["settings"], "additionalProperties": false, "properties": {
            "settings": {"type": "object", "description": "Sections to replace (domain.md §6); the rest is kept",
                "properties": {"inference": {"type": "object", "properties": {
                    "history_days": {"type": "integer", "minimum": 1, "maximum": 366},
                    "min_history_points": {"type": "integer", "minimum": 1, "maximum": 1000},
                    "lead_time_days": {"type": "integer", "minimum": 0, "maximum": 365},
                    "chains": {"$ref": "#/components/schemas/InferenceChains"}}}}},
            "effective_from": {"type": "string", "format": "date", "description": "Today or later in the client's time zone; from the start of that day there"},
            "comment": {"type": "string"}}}),
    );
    let mut add = |method: &str, path: String, op: Value| {
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[method] = op;
    };
    for (method, path, summary, tag, auth, body, status) in ROUTES {
        let body = body.then(|| match (*method, *path) {
            ("put", "/api/clients/{client_id}/settings") => {
                json!({"$ref": "#/components/schemas/SettingsVersionBody"})
            }
            _ => json!({"type": "object"}),
        });
        add(
            method,
            path.to_string(),
            operation(summary, tag, *auth, body, *status, path_params(path)),
        );
    }
    for res in defs::ALL {
        let name = res.name;
        let schema_name = res.entity.to_string();
        let mut props = Map::new();
        let mut required = Vec::new();
        for f in res.fields {
            let mut s = field_schema(f.kind);
            if f.req == Req::S {
                s["readOnly"] = json!(true);
            }
            if f.req == Req::R {
                required.push(f.name);
            }
            props.insert(f.name.into(), s);
        }
        schemas.insert(
            schema_name.clone(),
            json!({"type": "object", "properties": props, "required": required}),
        );
        let reference = json!({"$ref": format!("#/components/schemas/{schema_name}")});
        let mut list_params: Vec<Value> = [
            "client_id",
            "from",
            "to",
            "limit",
            "cursor",
            "include_deleted",
        ]
        .iter()
        .chain(res.filters.iter())
        .map(|p| json!({"name": p, "in": "query", "required": false, "schema": {"type": "string"}}))
        .collect();
        list_params.dedup();
        add(
            "get",
            format!("/api/{name}"),
            operation(&format!("List {name}"), name, true, None, 200, list_params),
        );
        add(
            "post",
            format!("/api/{name}"),
            operation(
                &format!("Create a {name} record"),
                name,
                true,
                Some(reference.clone()),
                201,
                vec![],
            ),
        );
        let item = format!("/api/{name}/{{id}}");
        add(
            "get",
            item.clone(),
            operation(
                &format!("Get a {name} record"),
                name,
                true,
                None,
                200,
                path_params(&item),
            ),
        );
        add(
            "patch",
            item.clone(),
            operation(
                &format!("Change a {name} record"),
                name,
                true,
                Some(json!({"type": "object"})),
                200,
                path_params(&item),
            ),
        );
        let mut delete_params = path_params(&item);
        delete_params.push(json!({"name": "cascade", "in": "query", "required": false, "schema": {"type": "boolean"},
            "description": "also soft-delete the active rows that depend on this one"}));
        let mut delete = operation(
            &format!("Soft-delete a {name} record (ADMIN; audited)"),
            name,
            true,
            None,
            200,
            delete_params,
        );
        delete["responses"]["409"] = error_response("has_dependents, client_inactive");
        add("delete", item.clone(), delete);
        if res.verify.is_some() {
            let ids = json!({"type": "object", "required": ["ids"], "properties": {
                "ids": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string"}}}});
            add(
                "post",
                format!("/api/{name}/verify"),
                operation(
                    &format!(
                        "Verify {name} entries of another person (LEADER on assigned clients, ADMIN): \
                         {{verified, verified_ids, errors: [{{id, code, message}}]}}"
                    ),
                    name,
                    true,
                    Some(ids),
                    200,
                    vec![],
                ),
            );
        }
        let csv = json!({"text/csv": {"schema": {"type": "string"}}});
        let export_params: Vec<Value> = ["client_id", "from", "to", "include_deleted"]
            .iter()
            .chain(res.filters.iter())
            .map(|p| json!({"name": p, "in": "query", "required": false, "schema": {"type": "string"}}))
            .collect();
        let mut export = operation(
            &format!("Export {name} as CSV (streamed; formula cells neutralised)"),
            name,
            true,
            None,
            200,
            export_params,
        );
        export["responses"]["200"]["content"] = csv.clone();
        add("get", format!("/api/{name}/export.csv"), export);
        let mut template = operation(
            &format!("CSV template for {name}: header and one example row"),
            name,
            true,
            None,
            200,
            vec![],
        );
        template["responses"]["200"]["content"] = csv;
        add("get", format!("/api/{name}/csv-template"), template);
        let aon = vec![
            json!({"name": "all_or_nothing", "in": "query", "required": false, "schema": {"type": "boolean"}}),
            json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 200}}),
        ];
        let batch_body = json!({"type": "object", "required": ["entries"], "properties": {
            "client_id": {"type": "string"}, "entries": {"type": "array", "items": reference.clone()}}});
        let upload = json!({"required": true, "content": {"multipart/form-data": {"schema": {"type": "object",
            "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}, "client_id": {"type": "string"}}}}}});
        for (path, summary, status, multipart) in [
            (
                "batch",
                "Create many records (partial, or ?all_or_nothing=true)",
                201,
                false,
            ),
            (
                "batch/preview",
                "Read-back of a batch: validates, saves nothing, returns a token",
                200,
                false,
            ),
            (
                "csv-upload",
                "Upload a CSV file (multipart part file, optional client_id)",
                201,
                true,
            ),
            (
                "csv-upload/preview",
                "Read-back of a CSV file: validates, saves nothing, returns a token",
                200,
                true,
            ),
        ] {
            let mut op = operation(
                &format!("{summary}: {name}"),
                name,
                true,
                (!multipart).then(|| batch_body.clone()),
                status,
                aon.clone(),
            );
            if multipart {
                op["requestBody"] = upload.clone();
            }
            op["responses"]["409"] =
                error_response("conflict (feature_disabled, idempotency_conflict)");
            op["responses"]["413"] = error_response("payload_too_large");
            add("post", format!("/api/{name}/{path}"), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "KPI Operations API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Production-line KPIs per client. Every failure uses the Error body."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
    })
}

pub static DOCUMENT: LazyLock<Value> = LazyLock::new(build);

/// The methods documented for a concrete path (templates match any one segment), or None
/// when no route has this path: tells a 405 from a 404.
pub fn methods_for(path: &str) -> Option<Vec<String>> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let paths = DOCUMENT["paths"].as_object()?;
    let hit = paths.iter().find(|(template, _)| {
        let t: Vec<&str> = template.split('/').collect();
        t.len() == segments.len()
            && t.iter()
                .zip(&segments)
                .all(|(a, b)| (a.starts_with('{') && !b.is_empty()) || a == b)
    })?;
    Some(
        hit.1
            .as_object()?
            .keys()
            .map(|m| m.to_uppercase())
            .collect(),
    )
}

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}

static SWAGGER_CONFIG: LazyLock<Arc<utoipa_swagger_ui::Config<'static>>> =
    LazyLock::new(|| Arc::new(utoipa_swagger_ui::Config::from("/api/openapi.json")));

pub async fn swagger(req: HttpRequest) -> HttpResponse {
    let tail = req.match_info().get("tail").unwrap_or("");
    if req.path() == "/api/docs" {
        return HttpResponse::Found()
            .insert_header(("Location", "/api/docs/"))
            .finish();
    }
    match utoipa_swagger_ui::serve(tail, SWAGGER_CONFIG.clone()) {
        Ok(Some(file)) => {
            let mut res = HttpResponse::Ok();
            res.content_type(file.content_type);
            if file.gzpipped {
                res.insert_header(("Content-Encoding", "gzip"));
            }
            res.body(file.bytes.to_vec())
        }
        _ => crate::error::ApiError::from_status(actix_web::http::StatusCode::NOT_FOUND)
            .into_response(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/docs", web::get().to(swagger))
        .route("/api/docs/{tail:.*}", web::get().to(swagger));
}

trait IntoResponse {
    fn into_response(self) -> HttpResponse;
}

impl IntoResponse for crate::error::ApiError {
    fn into_response(self) -> HttpResponse {
        actix_web::ResponseError::error_response(&self)
    }
}
