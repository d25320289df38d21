//! Clients (tenants) and their versioned settings.
use crate::domain::time::{now_ts, parse_day};
use crate::domain::{Caller, ClientId, FieldError, Role};
use crate::engine::Engine;
use crate::error::EngineError;
use crate::services::ingest::{IdemKey, Reply};
use crate::store::StoreError;
use crate::store::audit::{self, AuditEntry};
use crate::store::clients::{self, CLIENT_TYPES, ClientRow, TEXT_FIELDS};
use crate::store::settings::{self, SettingsVersion};
use crate::tenant::TenantSettings;
use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::{Map, Value};
use std::sync::Arc;

/// One seeded SHIFT row: (type, name, start, end, days, standard hours, staffing, overtime).
struct SeedShift(
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    f64,
    i64,
    bool,
);

/// The five SHIFT rows every client starts with (domain.md §3).
const SEED_SHIFTS: [SeedShift; 5] = [
    SeedShift(
        "SHIFT_1ST",
        "1st shift",
        Some("07:00"),
        Some("17:00"),
        "MON,TUE,WED,THU,FRI",
        9.0,
        10,
        false,
    ),
    SeedShift(
        "SHIFT_2ND",
        "2nd shift",
        Some("21:00"),
        Some("06:00"),
        "MON,TUE,WED,THU,FRI",
        9.0,
        8,
        false,
    ),
    SeedShift(
        "SAT_OT",
        "Saturday overtime",
        Some("07:00"),
        Some("15:00"),
        "SAT",
        8.0,
        6,
        true,
    ),
    SeedShift(
        "SUN_OT",
        "Sunday overtime",
        Some("07:00"),
        Some("15:00"),
        "SUN",
        8.0,
        6,
        true,
    ),
    SeedShift("OTHER", "Other", None, None, "", 9.0, 10, true),
];

#[derive(Debug, Serialize)]
pub struct SettingsView {
    pub client_id: String,
    pub version: i64,
    pub effective_from: String,
    pub settings: Value,
    pub scheduled: Vec<SettingsVersion>,
}

/// Visible → the row; unknown → 404 (everyone); invisible → 403.
pub(crate) fn visible_client(
    conn: &Connection,
    caller: &Caller,
    client_id: &str,
) -> Result<ClientRow, EngineError> {
    let row = clients::by_id_unscoped(conn, client_id)?
        .ok_or_else(|| EngineError::not_found(format!("client {client_id}")))?;
    if !caller.scope.can_read(client_id) {
        return Err(EngineError::forbidden(format!(
            "client {client_id} is not assigned to you"
        )));
    }
    Ok(row)
}

/// Like `visible_client`, and the client must be active to accept writes. On every tenant write
/// path (once per row of an import), so it reads one column, not the whole row.
pub(crate) fn writable_client(
    conn: &Connection,
    caller: &Caller,
    client_id: &str,
) -> Result<(), EngineError> {
    let active = clients::is_active(conn, client_id)?
        .ok_or_else(|| EngineError::not_found(format!("client {client_id}")))?;
    if !caller.scope.can_read(client_id) {
        return Err(EngineError::forbidden(format!(
            "client {client_id} is not assigned to you"
        )));
    }
    // Every tenant write passes here inside its writer job: mark the client's cached KPIs stale.
    crate::store::writer::touch(client_id);
    if !active {
        return Err(EngineError::conflict(
            "client_inactive",
            format!("client {client_id} is deactivated; its data is read-only"),
        ));
    }
    Ok(())
}

fn parse_client_fields(
    body: &Map<String, Value>,
    create: bool,
) -> Result<Map<String, Value>, EngineError> {
    let mut errors = Vec::new();
    let mut out = Map::new();
    let allowed: Vec<&str> = TEXT_FIELDS
        .iter()
        .map(|(k, _)| *k)
        .chain(["client_id", "client_type", "is_active"])
        .collect();
    for k in body.keys() {
        let server = [
            "created_by",
            "created_at",
            "updated_by",
            "updated_at",
            "deleted_at",
            "deleted_by",
        ]
        .contains(&k.as_str());
        if !allowed.contains(&k.as_str()) && !server {
            errors.push(FieldError::new(k.as_str(), "unknown field"));
        }
    }
    for (k, max) in TEXT_FIELDS {
        match body.get(k) {
            None => {}
            Some(Value::Null) => {
                out.insert(k.into(), Value::Null);
            }
            Some(Value::String(s)) => {
                let s = s.trim();
                if s.chars().count() > max || s.chars().any(char::is_control) {
                    errors.push(FieldError::new(
                        k,
                        format!("must be at most {max} characters, no control characters"),
                    ));
                } else {
                    out.insert(
                        k.into(),
                        if s.is_empty() {
                            Value::Null
                        } else {
                            Value::String(s.into())
                        },
                    );
                }
            }
            Some(_) => errors.push(FieldError::new(k, "must be a string")),
        }
    }
    if let Some(Value::String(e)) = out.get("client_email")
        && !e.contains('@')
    {
        errors.push(FieldError::new("client_email", "must be an e-mail address"));
    }
    if let Some(Value::String(tz)) = out.get("timezone")
        && !crate::domain::tz::is_known(tz)
    {
        errors.push(FieldError::new(
            "timezone",
            "must be an IANA time zone name like America/Mexico_City",
        ));
    }
    match body.get("client_type") {
        None => {}
        Some(Value::Null) => {
            out.insert("client_type".into(), Value::Null);
        }
        Some(v) => match v.as_str().and_then(|s| {
            CLIENT_TYPES
                .iter()
                .find(|t| t.eq_ignore_ascii_case(s.trim()))
        }) {
            Some(t) => {
                out.insert("client_type".into(), Value::String((*t).into()));
            }
            None => errors.push(FieldError::new(
                "client_type",
                format!("must be one of: {}", CLIENT_TYPES.join(", ")),
            )),
        },
    }
    if create && out.get("client_name").is_none_or(Value::is_null) {
        errors.push(FieldError::new(
            "client_name",
            "is required (1-100 characters)",
        ));
    }
    if let Some(v) = body.get("is_active") {
        match v {
            Value::Bool(b) => {
                out.insert("is_active".into(), Value::Bool(*b));
            }
            _ => errors.push(FieldError::new("is_active", "must be true or false")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(EngineError::invalid(errors))
    }
}

fn seed_client(tx: &Connection, client_id: &str, by: &str) -> Result<(), EngineError> {
    let now = now_ts();
    for SeedShift(ty, name, start, end, days, hours, employees, overtime) in SEED_SHIFTS {
        tx.execute(
            "INSERT INTO shifts (shift_id, client_id, shift_name, shift_type, start_time, end_time, standard_hours, \
             standard_employees, is_overtime, days_of_week, created_by, created_at, updated_by, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11, ?12)",
            params![format!("{client_id}.{ty}"), client_id, name, ty, start, end, hours, employees, overtime, (!days.is_empty()).then_some(days), by, now],
        )?;
    }
    for ty in crate::resources::defs::SHIFT_TYPES {
        crate::store::standards::record_shift(tx, client_id, &format!("{client_id}.{ty}"), by)?;
    }
    settings::insert(
        tx,
        client_id,
        &settings::defaults(),
        &now,
        Some("initial settings"),
        by,
    )?;
    Ok(())
}

fn set_columns(
    tx: &Connection,
    client_id: &str,
    fields: &Map<String, Value>,
    by: &str,
) -> Result<(), EngineError> {
    for (k, v) in fields {
        let value: Option<String> = match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        let sql = format!(
            "UPDATE clients SET {k} = ?1, updated_by = ?2, updated_at = ?3 WHERE client_id = ?4"
        );
        if k == "is_active" {
            let active = v.as_bool().unwrap_or(true);
            tx.execute(
                "UPDATE clients SET is_active = ?1, deleted_at = CASE WHEN ?1 THEN NULL ELSE ?3 END, \
                 deleted_by = CASE WHEN ?1 THEN NULL ELSE ?2 END, updated_by = ?2, updated_at = ?3 WHERE client_id = ?4",
                params![active, by, now_ts(), client_id],
            )?;
        } else {
            tx.execute(&sql, params![value, by, now_ts(), client_id])?;
        }
    }
    Ok(())
}

/// A checked client create, inserted inside a writer job.
struct NewClient {
    id: ClientId,
    fields: Map<String, Value>,
    limit: i64,
    by: String,
}

impl NewClient {
    fn insert(self, tx: &Connection) -> Result<ClientRow, EngineError> {
        let NewClient {
            id,
            fields,
            limit,
            by,
        } = self;
        if clients::by_id_unscoped(tx, id.as_str())?.is_some() {
            return Err(EngineError::conflict(
                "duplicate_id",
                format!("client_id {id} already exists (ids are never reused)"),
            ));
        }
        if clients::count_active(tx)? >= limit {
            return Err(EngineError::conflict(
                "client_limit_reached",
                format!("DEFAULT_CLIENT_LIMIT ({limit}) active clients reached"),
            ));
        }
        let now = now_ts();
        tx.execute(
            "INSERT INTO clients (client_id, client_name, created_by, created_at, updated_by, updated_at) VALUES (?1, ?2, ?3, ?4, ?3, ?4)",
            params![id.as_str(), fields.get("client_name").and_then(Value::as_str), by, now],
        )
        .map_err(StoreError::from)?;
        set_columns(tx, id.as_str(), &fields, &by)?;
        seed_client(tx, id.as_str(), &by)?;
        audit::record(
            tx,
            &AuditEntry {
                new_value: Some(Value::Object(fields.clone()).to_string()),
                ..AuditEntry::new(
                    Some(&by),
                    Some(id.as_str()),
                    "CLIENT",
                    id.as_str(),
                    "CREATE",
                )
            },
        )?;
        Ok(clients::by_id_unscoped(tx, id.as_str())?.expect("just inserted"))
    }
}

impl Engine {
    /// A client outside the caller's scope answers 404 (unknown) or 403 (foreign) before the
    /// body is validated, so a foreign client never gets a 422. Reads only on that rare path.
    pub(crate) async fn precheck_client(
        &self,
        caller: &Caller,
        client_id: &str,
    ) -> Result<(), EngineError> {
        if caller.scope.can_read(client_id) {
            return Ok(());
        }
        let (caller, id) = (caller.clone(), client_id.to_owned());
        self.read(move |c| visible_client(c, &caller, &id).map(|_| ()))
            .await
    }

    pub async fn list_clients(
        &self,
        caller: &Caller,
        include_inactive: bool,
    ) -> Result<Vec<ClientRow>, EngineError> {
        let scope = caller.scope.clone();
        let include = include_inactive && caller.role.sees_all_clients();
        self.read(move |c| Ok(clients::list(c, &scope, include)?))
            .await
    }

    pub async fn get_client(
        &self,
        caller: &Caller,
        client_id: String,
    ) -> Result<ClientRow, EngineError> {
        let caller = caller.clone();
        self.read(move |c| visible_client(c, &caller, &client_id))
            .await
    }

    pub async fn create_client(
        &self,
        caller: &Caller,
        body: Map<String, Value>,
    ) -> Result<ClientRow, EngineError> {
        let new = self.new_client(caller, body)?;
        self.write(move |tx| new.insert(tx)).await
    }

    /// `create_client` under an Idempotency-Key: a replay answers the first response.
    pub async fn create_client_idempotent(
        &self,
        caller: &Caller,
        body: Map<String, Value>,
        idem: IdemKey,
    ) -> Result<Reply, EngineError> {
        let new = self.new_client(caller, body)?;
        self.write_keyed(caller, idem, move |tx| new.insert(tx))
            .await
    }

    /// Role and field checks of a create, before the writer.
    fn new_client(
        &self,
        caller: &Caller,
        body: Map<String, Value>,
    ) -> Result<NewClient, EngineError> {
        if caller.role != Role::Admin {
            return Err(EngineError::forbidden("only an ADMIN creates clients"));
        }
        let raw_id = body.get("client_id").and_then(Value::as_str).unwrap_or("");
        let id = ClientId::parse(raw_id.trim());
        let fields = parse_client_fields(&body, true);
        let (id, mut fields) = match (id, fields) {
            (Ok(id), Ok(f)) => (id, f),
            (id, fields) => {
                let mut details = id.err().into_iter().collect::<Vec<_>>();
                if let Err(EngineError::Invalid { details: d, .. }) = fields {
                    details.extend(d);
                }
                return Err(EngineError::invalid(details));
            }
        };
        fields.remove("is_active");
        Ok(NewClient {
            id,
            fields,
            limit: self.config().default_client_limit as i64,
            by: caller.user_id.clone(),
        })
    }

    /// PATCH (ADMIN; an assigned LEADER for everything but `is_active`) and DELETE (= is_active false).
    pub async fn patch_client(
        &self,
        caller: &Caller,
        client_id: String,
        body: Map<String, Value>,
    ) -> Result<ClientRow, EngineError> {
        self.precheck_client(caller, &client_id).await?;
        let fields = parse_client_fields(&body, false)?;
        if let Some(Value::String(other)) = body.get("client_id")
            && other != &client_id
        {
            return Err(EngineError::Invalid {
                code: "read_only_field",
                message: "client_id cannot change".into(),
                details: vec![FieldError::new("client_id", "is read-only")],
            });
        }
        let toggles_active = fields.contains_key("is_active");
        let may = match caller.role {
            Role::Admin => true,
            Role::LeaderDataconfig => !toggles_active,
            _ => false,
        };
        let caller = caller.clone();
        let limit = self.config().default_client_limit as i64;
        self.write(move |tx| {
            let before = visible_client(tx, &caller, &client_id)?;
            if !may {
                return Err(EngineError::forbidden(
                    "your role cannot change this client",
                ));
            }
            let reactivating = fields.get("is_active") == Some(&Value::Bool(true))
                && before.get("is_active") != Some(&Value::Bool(true));
            if reactivating && clients::count_active(tx)? >= limit {
                return Err(EngineError::conflict(
                    "client_limit_reached",
                    format!("DEFAULT_CLIENT_LIMIT ({limit}) active clients reached"),
                ));
            }
            set_columns(tx, &client_id, &fields, &caller.user_id)?;
            for (k, v) in &fields {
                let old = before.get(k).cloned().unwrap_or(Value::Null);
                if &old != v {
                    let action = match (k.as_str(), v) {
                        ("is_active", Value::Bool(false)) => "DELETE",
                        ("is_active", Value::Bool(true)) => "RESTORE",
                        _ => "UPDATE",
                    };
                    audit::record(
                        tx,
                        &AuditEntry {
                            field: Some(k),
                            old_value: Some(old.to_string()),
                            new_value: Some(v.to_string()),
                            ..AuditEntry::new(
                                Some(&caller.user_id),
                                Some(&client_id),
                                "CLIENT",
                                &client_id,
                                action,
                            )
                        },
                    )?;
                }
            }
            Ok(clients::by_id_unscoped(tx, &client_id)?.expect("exists"))
        })
        .await
    }

    pub async fn get_settings(
        &self,
        caller: &Caller,
        client_id: String,
    ) -> Result<SettingsView, EngineError> {
        let state = self.client_settings(caller, &client_id).await?;
        let now = now_ts();
        let current = state.in_force(&now);
        let mut doc = current.settings;
        doc["shift_standards"] = state.shift_standards.clone();
        Ok(SettingsView {
            client_id,
            version: current.version,
            effective_from: current.effective_from,
            settings: doc,
            scheduled: state.scheduled(&now),
        })
    }

    /// The client's settings versions and shift standards, held by its tenant actor while the
    /// client's data generation holds (settings PUT and SHIFT writes pass `writable_client`,
    /// which moves it). A miss reads them on the pool and hands them to the actor.
    pub(crate) async fn client_settings(
        &self,
        caller: &Caller,
        client_id: &str,
    ) -> Result<Arc<TenantSettings>, EngineError> {
        let generation = self.inner.writer.generations().of(client_id);
        let tenants = &self.inner.tenants;
        // Only a caller who may read the client is answered from the actor; everyone else
        // reads, and gets the 404 or 403 of `visible_client`.
        if caller.scope.can_read(client_id)
            && let Some(held) = tenants.settings(client_id, generation).await
        {
            return Ok(held);
        }
        let (caller, id) = (caller.clone(), client_id.to_owned());
        let state = self
            .read(move |c| {
                visible_client(c, &caller, &id)?;
                Ok(TenantSettings {
                    versions: settings::all(c, &id)?,
                    shift_standards: shift_standards(c, &id)?,
                })
            })
            .await?;
        let state = Arc::new(state);
        tenants
            .store_settings(client_id, generation, state.clone())
            .await;
        Ok(state)
    }

    /// PUT: merges the sections it names into the latest version and stores a new version.
    pub async fn put_settings(
        &self,
        caller: &Caller,
        client_id: String,
        body: Map<String, Value>,
    ) -> Result<SettingsView, EngineError> {
        self.precheck_client(caller, &client_id).await?;
        if !caller.role.may_edit_master_data() {
            // An unknown client is 404 for everyone, before the role's 403.
            let (c2, id) = (caller.clone(), client_id.clone());
            self.read(move |c| visible_client(c, &c2, &id)).await?;
            return Err(EngineError::forbidden(
                "only an ADMIN or an assigned LEADER changes settings",
            ));
        }
        let mut errors = Vec::new();
        for k in body.keys() {
            if !["settings", "effective_from", "comment"].contains(&k.as_str()) {
                errors.push(FieldError::new(k.as_str(), "unknown field"));
            }
        }
        let sections = match body.get("settings") {
            Some(Value::Object(m)) => m.clone(),
            _ => {
                errors.push(FieldError::new("settings", "must be an object of sections"));
                Map::new()
            }
        };
        errors.extend(validate_sections(&sections));
        // A dated version starts at the beginning of that day in the client's zone.
        let zone = self
            .client_zone(&client_id)
            .await?
            .unwrap_or_else(|| "UTC".into());
        let effective_from = match body.get("effective_from") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match parse_day(s) {
                Some(d) if d >= crate::domain::tz::today_in(&zone) => {
                    Some(crate::domain::tz::day_start_utc(&zone, d))
                }
                Some(_) => {
                    errors.push(FieldError::new("effective_from", "must be today or later"));
                    None
                }
                None => {
                    errors.push(FieldError::new(
                        "effective_from",
                        "Invalid date format (use YYYY-MM-DD)",
                    ));
                    None
                }
            },
            Some(_) => {
                errors.push(FieldError::new("effective_from", "must be a date string"));
                None
            }
        };
        let comment = body
            .get("comment")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if !errors.is_empty() {
            return Err(EngineError::invalid(errors));
        }
        let writer = caller.clone();
        let id = client_id.clone();
        self.write(move |tx| {
            writable_client(tx, &writer, &id)?;
            let mut doc = settings::latest(tx, &id)?.settings;
            for (k, v) in &sections {
                if k == "shift_standards" {
                    apply_shift_standards(tx, &id, v, &writer.user_id)?;
                } else {
                    doc[k] = v.clone();
                }
            }
            let from = effective_from.clone().unwrap_or_else(now_ts);
            let version =
                settings::insert(tx, &id, &doc, &from, comment.as_deref(), &writer.user_id)?;
            let mut entry = AuditEntry::new(
                Some(&writer.user_id),
                Some(&id),
                "CLIENT_SETTINGS",
                &id,
                "SETTINGS",
            );
            entry.new_value = Some(format!(
                "version {version}: {}",
                Value::Object(sections.clone())
            ));
            entry.reason = comment.as_deref();
            audit::record(tx, &entry)?;
            Ok(())
        })
        .await?;
        self.get_settings(caller, client_id).await
    }
}

/// Type checks per section (domain.md §6); unknown keys → 422.
pub fn validate_sections(sections: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let defaults = settings::defaults();
    for (k, v) in sections {
        let path = format!("settings.{k}");
        let ok = match k.as_str() {
            "targets" | "display_caps" => v.as_object().is_some_and(|m| {
                m.iter().all(|(name, t)| {
                    let known = crate::kpi::KPI_NAMES.contains(&name.as_str());
                    if !known {
                        errors.push(FieldError::new(
                            format!("{path}.{name}"),
                            "unknown KPI name",
                        ));
                    }
                    known && (t.is_number() || (k == "targets" && t.is_null()))
                })
            }),
            "otd_mode" => v
                .as_str()
                .is_some_and(|s| ["OTD", "TRUE_OTD", "BOTH"].contains(&s)),
            "excluded_absence_types" => v.as_array().is_some_and(|a| {
                a.iter().all(|t| {
                    t.as_str().is_some_and(|s| {
                        [
                            "UNSCHEDULED_ABSENCE",
                            "VACATION",
                            "MEDICAL_LEAVE",
                            "PERSONAL_DAY",
                            "SUSPENDED",
                            "OTHER",
                        ]
                        .contains(&s)
                    })
                })
            }),
            "default_cycle_time_hours" => v.as_f64().is_some_and(|x| x > 0.0 && x <= 100.0),
            "default_opportunities_per_unit" => v.is_null() || v.as_i64().is_some_and(|n| n > 0),
            "shift_standards" => v.as_object().is_some_and(|m| {
                m.keys()
                    .all(|t| crate::resources::defs::SHIFT_TYPES.contains(&t.as_str()))
            }),
            "report" | "inference" | "watchdog" | "costs" => v.as_object().is_some_and(|m| {
                m.keys().all(|sub| {
                    let known = defaults[k].get(sub).is_some();
                    if !known {
                        errors.push(FieldError::new(format!("{path}.{sub}"), "unknown key"));
                    }
                    known
                })
            }),
            _ => {
                errors.push(FieldError::new(path.clone(), "unknown settings section"));
                continue;
            }
        };
        if k == "inference" {
            if let Some(chains) = v.get("chains") {
                for (sub, message) in crate::kpi::chains::check_setting(chains) {
                    errors.push(FieldError::new(format!("{path}.{sub}"), message));
                }
            }
            // History parameters: whole numbers in a range that keeps date arithmetic sane.
            for (sub, min, max) in [
                ("history_days", 1, 366),
                ("min_history_points", 1, 1000),
                ("lead_time_days", 0, 365),
            ] {
                if let Some(x) = v.get(sub)
                    && !x.as_i64().is_some_and(|n| (min..=max).contains(&n))
                {
                    errors.push(FieldError::new(
                        format!("{path}.{sub}"),
                        format!("must be a whole number from {min} to {max}"),
                    ));
                }
            }
        }
        if ok && k == "report" {
            errors.extend(crate::mailer::subscription::validate(v));
        }
        if !ok && !errors.iter().any(|e| e.field.starts_with(&path)) {
            errors.push(FieldError::new(
                path,
                "has the wrong shape or value (see domain.md §6)",
            ));
        }
    }
    errors
}

fn shift_standards(c: &Connection, client_id: &str) -> Result<Value, EngineError> {
    let mut stmt = c.prepare_cached(
        "SELECT shift_type, standard_hours, standard_employees, is_overtime, start_time, end_time, days_of_week FROM shifts WHERE client_id = ? AND is_active = 1",
    )?;
    let mut map = Map::new();
    let rows = stmt.query_map([client_id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            serde_json::json!({"standard_hours": r.get::<_, f64>(1)?, "standard_employees": r.get::<_, i64>(2)?,
                "is_overtime": r.get::<_, bool>(3)?, "start_time": r.get::<_, Option<String>>(4)?,
                "end_time": r.get::<_, Option<String>>(5)?, "days_of_week": r.get::<_, Option<String>>(6)?}),
        ))
    })?;
    for row in rows {
        let (k, v) = row?;
        map.insert(k, v);
    }
    Ok(Value::Object(map))
}

fn apply_shift_standards(
    tx: &Connection,
    client_id: &str,
    v: &Value,
    by: &str,
) -> Result<(), EngineError> {
    let Some(map) = v.as_object() else {
        return Ok(());
    };
    for (ty, fields) in map {
        let Some(fields) = fields.as_object() else {
            continue;
        };
        for (k, val) in fields {
            let col = match k.as_str() {
                "standard_hours" if val.as_f64().is_some_and(|h| h > 0.0 && h <= 24.0) => k,
                "standard_employees" if val.as_i64().is_some_and(|n| n >= 1) => k,
                "is_overtime" if val.is_boolean() => k,
                "start_time" | "end_time" | "days_of_week" if val.is_string() || val.is_null() => k,
                _ => {
                    return Err(EngineError::field(
                        &format!("settings.shift_standards.{ty}.{k}"),
                        "unknown key or invalid value",
                    ));
                }
            };
            let value = match val {
                Value::Bool(b) => rusqlite::types::Value::Integer(*b as i64),
                Value::Number(n) if n.is_i64() => {
                    rusqlite::types::Value::Integer(n.as_i64().unwrap_or(0))
                }
                Value::Number(n) => rusqlite::types::Value::Real(n.as_f64().unwrap_or(0.0)),
                Value::String(s) => rusqlite::types::Value::Text(s.clone()),
                _ => rusqlite::types::Value::Null,
            };
            tx.execute(
                &format!("UPDATE shifts SET {col} = ?1, updated_by = ?2, updated_at = ?3 WHERE client_id = ?4 AND shift_type = ?5"),
                params![value, by, now_ts(), client_id, ty],
            )?;
        }
        // A new version of the shift's standards from now on; past line-shifts keep theirs.
        crate::store::standards::record_shift(tx, client_id, &format!("{client_id}.{ty}"), by)?;
    }
    Ok(())
}
