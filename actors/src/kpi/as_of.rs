//! Effective dating (domain.md §8 and the clarification "shift standards and settings resolve
//! at the end of the line-shift's date"): the SHIFT standards, product standards and settings
//! document in force at a row's as-of time T. For a dated row T = the end of its date in the
//! client's time zone, or now while that is still ahead; for targets and statuses T = the end of
//! the period (or now). A T before the first version uses the first version.
use super::inputs::InferenceSettings;
use super::production::rows::{Entry, ShiftStandard};
use crate::domain::time::now_ts;
use crate::domain::tz;
use crate::store::StoreError;
use crate::store::settings::{self, SettingsVersion};
use crate::store::standards::{self, Version};
use chrono::{Days, NaiveDate};
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

pub struct AsOf {
    zone: jiff::tz::TimeZone,
    shift_versions: Vec<Version>,
    product_versions: Vec<Version>,
    /// Settings versions with their inference settings, oldest first.
    settings: Vec<(SettingsVersion, InferenceSettings)>,
    /// The built-in document for a client without any stored version.
    defaults: (Value, InferenceSettings),
    now: String,
}

impl AsOf {
    pub fn load(c: &Connection, client: &str) -> Result<AsOf, StoreError> {
        let zone: Option<String> = c
            .prepare_cached("SELECT timezone FROM clients WHERE client_id = ?1")?
            .query_row([client], |r| r.get(0))
            .optional()?;
        let defaults = settings::defaults();
        let inference = InferenceSettings::from_settings(&defaults);
        Ok(AsOf {
            zone: tz::zone(zone.as_deref().unwrap_or("UTC")),
            shift_versions: standards::versions(c, client, "SHIFT")?,
            product_versions: standards::versions(c, client, "PRODUCT")?,
            settings: settings::all(c, client)?
                .into_iter()
                .map(|v| {
                    let s = InferenceSettings::from_settings(&v.settings);
                    (v, s)
                })
                .collect(),
            defaults: (defaults, inference),
            now: now_ts(),
        })
    }

    /// T of a row dated `date` (YYYY-MM-DD): the end of that day in the client's zone, or now
    /// if that is later.
    pub fn time(&self, date: &str) -> String {
        match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            Ok(d) => self.end_of(d),
            Err(_) => self.now.clone(),
        }
    }

    /// The end of `day` in the client's zone, or now if that is later (targets and statuses use
    /// the end of the period).
    pub fn end_of(&self, day: NaiveDate) -> String {
        match day.checked_add_days(Days::new(1)) {
            Some(next) => tz::day_start_in(&self.zone, next).min(self.now.clone()),
            None => self.now.clone(),
        }
    }

    /// Now (T of a row tied to an open work order).
    pub fn now(&self) -> &str {
        &self.now
    }

    fn version_at(&self, at: &str) -> Option<&(SettingsVersion, InferenceSettings)> {
        settings::pick_in_force(&self.settings, |(v, _)| v, at)
    }

    /// The settings version for targets and statuses of a period ending on `to`: in force at
    /// the end of that day in the client's zone, or now if earlier (domain.md §8).
    pub fn period_settings(&self, to: NaiveDate) -> SettingsVersion {
        match self.version_at(&self.end_of(to)) {
            Some((v, _)) => v.clone(),
            None => SettingsVersion {
                version: 0,
                effective_from: self.now.clone(),
                settings: self.defaults.0.clone(),
                comment: None,
            },
        }
    }

    /// The settings document in force at T.
    pub fn settings_at(&self, at: &str) -> &Value {
        self.version_at(at)
            .map_or(&self.defaults.0, |(v, _)| &v.settings)
    }

    /// The inference settings (defaults, history parameters, switched-on strategies) at T.
    pub fn inference_at(&self, at: &str) -> &InferenceSettings {
        self.version_at(at).map_or(&self.defaults.1, |(_, s)| s)
    }

    /// The longest history any version looks back (how far back history rows are loaded).
    pub fn max_history_days(&self) -> u64 {
        self.settings
            .iter()
            .map(|(_, s)| s.history_days)
            .chain([self.defaults.1.history_days])
            .max()
            .unwrap_or(30)
    }

    /// The SHIFT standards at T; fields without history keep the row's current value.
    pub fn shift_standard(
        &self,
        client: &str,
        shift: &str,
        at: &str,
        current: ShiftStandard,
    ) -> ShiftStandard {
        let id = format!("{client}.{shift}");
        let v = |field| standards::value_at(&self.shift_versions, &id, field, at);
        ShiftStandard {
            hours: v("standard_hours")
                .and_then(|x| x.as_f64())
                .unwrap_or(current.hours),
            employees: v("standard_employees")
                .and_then(|x| x.as_f64())
                .unwrap_or(current.employees),
            overtime: v("is_overtime")
                .and_then(|x| x.as_bool())
                .unwrap_or(current.overtime),
        }
    }

    /// The product standards of an entry as of its work order's T (domain.md §8): closed_at
    /// when the order is closed, else now (the product's current values, as loaded).
    pub fn product_standards(&self, e: &mut Entry) {
        let (Some(product), Some(closed)) = (e.product_id.as_deref(), e.closed_at.as_deref())
        else {
            return;
        };
        let v = |field, current| {
            standards::number_as_of(
                &self.product_versions,
                product,
                field,
                Some(closed),
                current,
            )
        };
        let product_labour = e.labour_standard.filter(|_| e.wo_cycle.is_none());
        e.labour_standard = e
            .wo_cycle
            .or_else(|| v("standard_labor_hours_per_unit", product_labour));
        e.line_standard = v("ideal_cycle_time_line", e.line_standard);
    }
}
