//! Effective dating (domain.md §8 and the clarification "shift standards and settings resolve
//! at the end of the line-shift's date"): the SHIFT standards and the settings document in force
//! at a line-shift's as-of time T = the end of its date, or now when that is still ahead.
use super::rows::{Entry, ShiftStandard};
use crate::domain::time::now_ts;
use crate::store::StoreError;
use crate::store::settings::{self, SettingsVersion};
use crate::store::standards::{self, Version};
use chrono::{Days, NaiveDate};
use rusqlite::Connection;

pub struct AsOf {
    shift_versions: Vec<Version>,
    product_versions: Vec<Version>,
    settings: Vec<SettingsVersion>,
    now: String,
}

impl AsOf {
    pub fn load(c: &Connection, client: &str) -> Result<AsOf, StoreError> {
        Ok(AsOf {
            shift_versions: standards::versions(c, client, "SHIFT")?,
            product_versions: standards::versions(c, client, "PRODUCT")?,
            settings: settings::all(c, client)?,
            now: now_ts(),
        })
    }

    /// T of a line-shift dated `date`: the end of that day (UTC), or now if that is later.
    pub fn time(&self, date: &str) -> String {
        let end = NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.checked_add_days(Days::new(1)));
        match end {
            Some(end) => format!("{end}T00:00:00Z").min(self.now.clone()),
            None => self.now.clone(),
        }
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

    /// `default_cycle_time_hours` of the settings version in force at T (the first version before
    /// any was in force).
    pub fn default_cycle_time(&self, at: &str) -> Option<f64> {
        let version = self
            .settings
            .iter()
            .filter(|v| v.effective_from.as_str() <= at)
            .max_by_key(|v| v.version)
            .or_else(|| self.settings.iter().min_by_key(|v| v.version))?;
        version.settings["default_cycle_time_hours"]
            .as_f64()
            .filter(|x| *x > 0.0)
    }
}
