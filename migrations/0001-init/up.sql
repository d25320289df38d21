-- =====================================================================================================
-- KPI Operations — migration 0001-init: the complete initial schema (spec: domain.md §1, §2, §5, §7, §9).
--
-- Tables (what each one holds):
--   clients             tenants: one production line / work centre each                          (§5.1)
--   users               login accounts, role, lockout and token-revocation state                  (§5.2)
--   user_clients        client assignments of OPERATOR / LEADER users (ADMIN, POWERUSER: none)    (§5.2)
--   shifts              one row per (client, shift_type): clock window and the shift standards    (§3, §5.3)
--   products            products built per client, labour and line cycle-time standards           (§5.4)
--   part_opportunities  defect opportunities per unit of a client's part number (DPMO)             (§5.5)
--   employees           line employees (client_id_assigned) and floaters (no client)              (§5.6)
--   floating_pool       assignment timeline of floaters to lines                                  (§5.7)
--   work_orders         customer orders: quantities, dates, status, OTD ship dates, WIP clock     (§5.8)
--   jobs                line items of a work order (part number, ordered / completed / scrapped)  (§5.9)
--   production_entries  output of one crew on one work order in one shift                         (§5.10)
--   downtime_entries    line stops (reason, minutes, people affected)                             (§5.11)
--   hold_entries        work-order / job holds and resumes (WIP aging clock)                      (§5.12)
--   attendance_entries  one employee's presence or absence in one shift                           (§5.13)
--   coverage_entries    floater covering an absent employee                                       (§5.14)
--   quality_entries     inspections per checkpoint (PPM, DPMO, FPY, RTY by stage)                 (§5.15)
--   defect_details      individual defects of a quality entry                                     (§5.16)
--   client_settings     versioned, effective-dated settings document per client (json, §6)        (§5.17)
--   standard_history    effective-dated versions of the versioned standards (§8)                  (§5.17)
--   shift_closes        closed (locked) line-shifts; soft delete = reopen                         (§5.17)
--   watchdog_findings   line-shifts whose expected data is missing                                (§5.17)
--   import_log          one row per batch / csv-upload / confirm call                             (§5.17)
--   import_previews     read-back previews waiting for confirmation (token, validated rows)       (§5.17)
--   audit_log           append-only trail of every change and security event                      (§5.17)
--   kpi_scripts         versions of the Rhai KPI formula scripts, global and per-client overrides (§5.17)
--   mail_outbox         persistent outbox of the mailer                                           (§5.17)
--   backup_records      online backups and their verification result                              (§5.17)
--   idempotency_keys    stored responses of POSTs sent with an Idempotency-Key (24 h)             (§5.17)
--   id_sequences        per (table, date) counters of the server-assigned ids (NNNN / NN)         (§5.17)
--   scheduler_runs      last run of every scheduler job (catch-up after downtime)                 (§5.17)
--   schema_meta         single row: schema version (user_version is repaired from it at start)
--
-- Conventions used below:
--   * Every table is STRICT. bool = INTEGER 0/1; date `YYYY-MM-DD`, time `HH:MM`, ts (RFC 3339 UTC) and json
--     are TEXT; dec = REAL (kept exactly as entered).
--   * Date columns carry `CHECK (x IS date(x))` and time columns `CHECK (x IS strftime('%H:%M', x) AND x < '24:00')`:
--     KPI windows compare dates as strings, so any other spelling would silently drop rows. NULL passes.
--   * Inferable (I) fields of domain.md are nullable: NULL = "to be inferred"; every CHECK lets NULL pass.
--   * "Of the same client" references are composite foreign keys, e.g. (work_order_id, client_id) ->
--     work_orders(work_order_id, client_id): the database itself refuses a row that points into another tenant
--     (domain.md §1: client_id is copied from the parent and never moves). The parents carry the matching
--     UNIQUE (id, client_id) index that SQLite requires for such a key.
--   * Nothing is physically deleted (soft delete via is_active), so foreign keys have no ON DELETE actions.
--   * Natural keys are partial UNIQUE indexes WHERE is_active = 1 (a soft-deleted row may be re-entered);
--     nullable parts use COALESCE(col, '') so that NULLs compare as equal ('' is never a valid id).
--   * created_by / updated_by / deleted_by / recorded_by hold a user_id or 'SYSTEM' and are not foreign keys.
-- =====================================================================================================


-- -----------------------------------------------------------------------------------------------------
-- Identity and tenants
-- -----------------------------------------------------------------------------------------------------

CREATE TABLE clients (
    client_id       TEXT    NOT NULL PRIMARY KEY,
    client_name     TEXT    NOT NULL CHECK (length(client_name) BETWEEN 1 AND 100),
    client_contact  TEXT,
    client_email    TEXT,
    client_phone    TEXT,
    location        TEXT,
    -- employees also reference clients (client_id_assigned), so these three are checked at COMMIT only:
    -- a client and its supervisor can be created in one transaction, in either order.
    supervisor_id   TEXT    REFERENCES employees (employee_id) DEFERRABLE INITIALLY DEFERRED,
    planner_id      TEXT    REFERENCES employees (employee_id) DEFERRABLE INITIALLY DEFERRED,
    engineering_id  TEXT    REFERENCES employees (employee_id) DEFERRABLE INITIALLY DEFERRED,
    client_type     TEXT    CHECK (client_type IN ('Hourly Rate', 'Piece Rate', 'Hybrid', 'Service', 'Other')),
    timezone        TEXT    NOT NULL DEFAULT 'America/Mexico_City',
    created_by      TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by      TEXT,
    updated_at      TEXT,
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at      TEXT,
    deleted_by      TEXT
) STRICT;

CREATE INDEX ix_clients_supervisor_id  ON clients (supervisor_id)  WHERE supervisor_id  IS NOT NULL;
CREATE INDEX ix_clients_planner_id     ON clients (planner_id)     WHERE planner_id     IS NOT NULL;
CREATE INDEX ix_clients_engineering_id ON clients (engineering_id) WHERE engineering_id IS NOT NULL;


CREATE TABLE users (
    user_id              TEXT    NOT NULL PRIMARY KEY,
    -- unique case-insensitively (usernames are ASCII only, so NOCASE is exact)
    username             TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (length(username) BETWEEN 5 AND 50),
    full_name            TEXT,
    -- NOCASE: "A@x.com" and "a@x.com" are the same mailbox (uniqueness and look-ups alike)
    email                TEXT    COLLATE NOCASE,
    role                 TEXT    NOT NULL
                                 CHECK (role IN ('OPERATOR_DATAENTRY', 'LEADER_DATACONFIG', 'POWERUSER', 'ADMIN')),
    -- client_id_assigned of domain.md is derived from user_clients and deliberately not stored
    is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    last_login           TEXT,
    password_hash        TEXT    NOT NULL,                                   -- argon2id PHC string
    token_version        INTEGER NOT NULL DEFAULT 1 CHECK (token_version >= 1),
    failed_login_count   INTEGER NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    locked_until         TEXT,
    password_changed_at  TEXT,
    created_by           TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by           TEXT,
    updated_at           TEXT,
    deleted_at           TEXT,
    deleted_by           TEXT
) STRICT;

-- e-mail is optional (CLI) but unique when present
CREATE UNIQUE INDEX ux_users_email ON users (email) WHERE email IS NOT NULL;
CREATE INDEX ix_users_role ON users (role, is_active);


-- Small, composite key, always read by key: WITHOUT ROWID stores it as one b-tree.
CREATE TABLE user_clients (
    user_id     TEXT NOT NULL REFERENCES users (user_id),
    client_id   TEXT NOT NULL REFERENCES clients (client_id),
    created_by  TEXT NOT NULL DEFAULT 'SYSTEM',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (user_id, client_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX ix_user_clients_client_id ON user_clients (client_id);


-- -----------------------------------------------------------------------------------------------------
-- Master data
-- -----------------------------------------------------------------------------------------------------

CREATE TABLE shifts (
    -- server-assigned and fully determined by its parts (domain.md §1), so the database pins it
    shift_id            TEXT    NOT NULL PRIMARY KEY CHECK (shift_id = client_id || '.' || shift_type),
    client_id           TEXT    NOT NULL REFERENCES clients (client_id),
    shift_name          TEXT,
    shift_type          TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    start_time          TEXT    CHECK (start_time IS strftime('%H:%M', start_time) AND start_time < '24:00'),
    -- end_time earlier than start_time = the shift crosses midnight, so no ordering check here
    end_time            TEXT    CHECK (end_time IS strftime('%H:%M', end_time) AND end_time < '24:00'),
    standard_hours      REAL    NOT NULL CHECK (standard_hours > 0 AND standard_hours <= 24),
    -- upper bound MAX_EMPLOYEES_PER_CLIENT is configuration, checked by the application
    standard_employees  INTEGER NOT NULL CHECK (standard_employees >= 1),
    is_overtime         INTEGER NOT NULL CHECK (is_overtime IN (0, 1)),
    days_of_week        TEXT,                                                -- e.g. 'MON,TUE,WED,THU,FRI'
    created_by          TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by          TEXT,
    updated_at          TEXT,
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at          TEXT,
    deleted_by          TEXT,
    -- exactly one row per shift type and client; a deactivated row stays (the system standards then apply)
    UNIQUE (client_id, shift_type)
) STRICT;


CREATE TABLE products (
    product_id                     TEXT    NOT NULL PRIMARY KEY,
    client_id                      TEXT    NOT NULL REFERENCES clients (client_id),
    style_model                    TEXT,
    part_number                    TEXT,          -- should exist in part_opportunities (warning only, no FK)
    description                    TEXT,
    category                       TEXT,
    standard_labor_hours_per_unit  REAL    CHECK (standard_labor_hours_per_unit > 0 AND standard_labor_hours_per_unit <= 100),
    ideal_cycle_time_line          REAL    CHECK (ideal_cycle_time_line > 0 AND ideal_cycle_time_line <= 100),
    created_by                     TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at                     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by                     TEXT,
    updated_at                     TEXT,
    is_active                      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at                     TEXT,
    deleted_by                     TEXT,
    UNIQUE (product_id, client_id)                 -- target of work_orders' same-client foreign key
) STRICT;

CREATE INDEX ix_products_client_id ON products (client_id);


CREATE TABLE part_opportunities (
    part_opportunity_id     TEXT    NOT NULL PRIMARY KEY,                    -- '<client_id>.<part_number>'
    client_id               TEXT    NOT NULL REFERENCES clients (client_id),
    part_number             TEXT    NOT NULL,
    opportunities_per_unit  INTEGER NOT NULL CHECK (opportunities_per_unit > 0),
    description             TEXT,
    notes                   TEXT,
    created_by              TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at              TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by              TEXT,
    updated_at              TEXT,
    is_active               INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at              TEXT,
    deleted_by              TEXT,
    -- not partial: the id is derived from (client_id, part_number), so a deleted part is restored, not re-created;
    -- also the look-up index for JOB.part_number -> opportunities
    UNIQUE (client_id, part_number)
) STRICT;


CREATE TABLE employees (
    employee_id          TEXT    NOT NULL PRIMARY KEY,
    employee_name        TEXT    NOT NULL,
    department           TEXT,
    is_floating_pool     INTEGER NOT NULL DEFAULT 0 CHECK (is_floating_pool IN (0, 1)),
    is_support_billed    INTEGER NOT NULL DEFAULT 0 CHECK (is_support_billed IN (0, 1)),
    is_support_included  INTEGER NOT NULL DEFAULT 0 CHECK (is_support_included IN (0, 1)),
    client_id_assigned   TEXT    REFERENCES clients (client_id),
    hourly_rate          REAL    CHECK (hourly_rate >= 0),
    created_by           TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by           TEXT,
    updated_at           TEXT,
    is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at           TEXT,
    deleted_by           TEXT,
    -- a floater belongs to no client; every other employee belongs to exactly one (the tenant of the row)
    CHECK ((is_floating_pool = 1 AND client_id_assigned IS NULL)
        OR (is_floating_pool = 0 AND client_id_assigned IS NOT NULL))
) STRICT;

CREATE INDEX ix_employees_client_id_assigned ON employees (client_id_assigned, is_active);
CREATE INDEX ix_employees_floaters ON employees (employee_id) WHERE is_floating_pool = 1;


CREATE TABLE floating_pool (
    floating_pool_id       TEXT    NOT NULL PRIMARY KEY,                     -- '<employee_id>-YYYYMMDD-HHMMSS'
    employee_id            TEXT    NOT NULL REFERENCES employees (employee_id),   -- must be a floater (app check)
    status                 TEXT    NOT NULL CHECK (status IN ('AVAILABLE', 'ASSIGNED')),
    assigned_to_client     TEXT    REFERENCES clients (client_id),
    assignment_start_date  TEXT    CHECK (assignment_start_date IS date(assignment_start_date)),
    assignment_end_date    TEXT    CHECK (assignment_end_date IS date(assignment_end_date)),   -- NULL = open-ended
    shift_type             TEXT    CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')), -- NULL = all
    assigned_by_user_id    TEXT    REFERENCES users (user_id),
    notes                  TEXT,
    created_by             TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by             TEXT,
    updated_at             TEXT,
    -- domain.md: last_updated_at = updated_at; generated so that it can never disagree (read-only column)
    last_updated_at        TEXT    GENERATED ALWAYS AS (coalesce(updated_at, created_at)) VIRTUAL,
    is_active              INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at             TEXT,
    deleted_by             TEXT,
    -- ASSIGNED <=> a client and a start date; AVAILABLE rows name no client
    CHECK ((status = 'ASSIGNED' AND assigned_to_client IS NOT NULL AND assignment_start_date IS NOT NULL)
        OR (status = 'AVAILABLE' AND assigned_to_client IS NULL)),
    CHECK (assignment_end_date >= assignment_start_date)
) STRICT;

-- the overlap rule (floater_already_assigned) is checked by the application with this index
CREATE INDEX ix_floating_pool_employee_id ON floating_pool (employee_id, status, assignment_start_date);
CREATE INDEX ix_floating_pool_assigned_to_client ON floating_pool (assigned_to_client, assignment_start_date)
    WHERE assigned_to_client IS NOT NULL;
CREATE INDEX ix_floating_pool_assigned_by_user_id ON floating_pool (assigned_by_user_id)
    WHERE assigned_by_user_id IS NOT NULL;


CREATE TABLE work_orders (
    work_order_id       TEXT    NOT NULL PRIMARY KEY,
    client_id           TEXT    NOT NULL REFERENCES clients (client_id),
    product_id          TEXT,
    style_model         TEXT,
    planned_quantity    INTEGER NOT NULL CHECK (planned_quantity > 0),
    planned_start_date  TEXT    CHECK (planned_start_date IS date(planned_start_date)),
    actual_start_date   TEXT    CHECK (actual_start_date IS date(actual_start_date)),
    planned_ship_date   TEXT    CHECK (planned_ship_date IS date(planned_ship_date)),          -- I (OTD)
    required_date       TEXT    CHECK (required_date IS date(required_date)),
    ideal_cycle_time    REAL    CHECK (ideal_cycle_time > 0 AND ideal_cycle_time <= 100),
    status              TEXT    NOT NULL DEFAULT 'ACTIVE'
                                CHECK (status IN ('ACTIVE', 'ON_HOLD', 'COMPLETED', 'REJECTED', 'CANCELLED')),
    receipt_date        TEXT    CHECK (receipt_date IS date(receipt_date)),
    acknowledged_date   TEXT    CHECK (acknowledged_date IS date(acknowledged_date)),
    priority_level      TEXT    NOT NULL DEFAULT 'STANDARD' CHECK (priority_level IN ('RUSH', 'STANDARD', 'LOW')),
    po_number           TEXT,
    notes               TEXT,
    actual_ship_date    TEXT    CHECK (actual_ship_date IS date(actual_ship_date)),
    final_ship_date     TEXT    CHECK (final_ship_date IS date(final_ship_date)),
    shipped_quantity    INTEGER CHECK (shipped_quantity >= 0),   -- above planned_quantity = warning only
    closed_date         TEXT    CHECK (closed_date IS date(closed_date)),
    closed_at           TEXT,
    created_by          TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by          TEXT,
    updated_at          TEXT,
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at          TEXT,
    deleted_by          TEXT,
    -- the product must belong to the same client
    FOREIGN KEY (product_id, client_id) REFERENCES products (product_id, client_id),
    CHECK (final_ship_date >= actual_ship_date),
    -- the WIP clock: a closed order has its closing date and time (the as-of time of §8), an open one has neither
    -- (reopen clears both)
    CHECK ((status IN ('ACTIVE', 'ON_HOLD') AND closed_date IS NULL AND closed_at IS NULL)
        OR (status IN ('COMPLETED', 'REJECTED', 'CANCELLED') AND closed_date IS NOT NULL AND closed_at IS NOT NULL)),
    UNIQUE (work_order_id, client_id)              -- target of the entries' same-client foreign keys
) STRICT;

CREATE INDEX ix_work_orders_client_status      ON work_orders (client_id, status);
CREATE INDEX ix_work_orders_client_actual_ship ON work_orders (client_id, actual_ship_date);
CREATE INDEX ix_work_orders_client_final_ship  ON work_orders (client_id, final_ship_date);   -- TRUE-OTD window
CREATE INDEX ix_work_orders_product_id         ON work_orders (product_id, client_id) WHERE product_id IS NOT NULL;


CREATE TABLE jobs (
    job_id              TEXT    NOT NULL PRIMARY KEY,
    work_order_id       TEXT    NOT NULL,
    client_id           TEXT    NOT NULL REFERENCES clients (client_id),    -- copied from the work order
    job_number          TEXT,
    part_number         TEXT    NOT NULL,        -- links to part_opportunities(client_id, part_number); no FK (warning)
    quantity_ordered    INTEGER NOT NULL CHECK (quantity_ordered > 0),
    quantity_completed  INTEGER CHECK (quantity_completed >= 0 AND quantity_completed <= quantity_ordered),   -- I
    quantity_scrapped   INTEGER CHECK (quantity_scrapped >= 0),
    priority_level      TEXT    NOT NULL DEFAULT 'STANDARD' CHECK (priority_level IN ('RUSH', 'STANDARD', 'LOW')),
    notes               TEXT,
    created_by          TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by          TEXT,
    updated_at          TEXT,
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at          TEXT,
    deleted_by          TEXT,
    -- the copied client_id must be the work order's
    FOREIGN KEY (work_order_id, client_id) REFERENCES work_orders (work_order_id, client_id),
    UNIQUE (job_id, work_order_id)                 -- target of "job of that work order" foreign keys
) STRICT;

CREATE INDEX ix_jobs_work_order_id ON jobs (work_order_id, client_id);
CREATE INDEX ix_jobs_client_part   ON jobs (client_id, part_number);


-- -----------------------------------------------------------------------------------------------------
-- Data entry (entry_method and import_id are set by the server; import_id is not a foreign key because
-- the import_log row is written in the same commit, possibly after the rows)
-- -----------------------------------------------------------------------------------------------------

CREATE TABLE production_entries (
    production_entry_id    TEXT    NOT NULL PRIMARY KEY,                     -- 'YYYYMMDD-PROD-NNNN'
    work_order_id          TEXT    NOT NULL,
    job_id                 TEXT,
    client_id              TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date             TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type             TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    operation_id           TEXT,
    units_produced         INTEGER NOT NULL CHECK (units_produced >= 0),              -- 0 = downtime day
    units_defective        INTEGER CHECK (units_defective >= 0 AND units_defective <= units_produced),   -- I
    run_time_hours         REAL    CHECK (run_time_hours >= 0 AND run_time_hours <= 24),                 -- I
    employees_assigned     INTEGER CHECK (employees_assigned >= 1),                                      -- I
    employees_present      INTEGER CHECK (employees_present >= 0 AND employees_present <= employees_assigned),
    data_collector_id      TEXT    REFERENCES users (user_id),
    entry_method           TEXT    NOT NULL
                                   CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN', 'API', 'SYSTEM_IMPORT')),
    import_id              TEXT,
    timestamp              TEXT,
    verified_by            TEXT    REFERENCES users (user_id),
    verified_at            TEXT,
    notes                  TEXT,
    shift_hours_scheduled  REAL    CHECK (shift_hours_scheduled > 0 AND shift_hours_scheduled <= 24),       -- I
    downtime_total_minutes INTEGER CHECK (downtime_total_minutes >= 0 AND downtime_total_minutes <= 1440),  -- I
    efficiency_target      REAL    CHECK (efficiency_target >= 0 AND efficiency_target <= 200),
    performance_target     REAL    CHECK (performance_target >= 0 AND performance_target <= 200),
    created_by             TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by             TEXT,
    updated_at             TEXT,
    is_active              INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at             TEXT,
    deleted_by             TEXT,
    FOREIGN KEY (work_order_id, client_id) REFERENCES work_orders (work_order_id, client_id),
    FOREIGN KEY (job_id, work_order_id)    REFERENCES jobs (job_id, work_order_id),    -- NULL job_id: not checked
    CHECK (run_time_hours <= shift_hours_scheduled),
    -- verification is one act: both fields or neither
    CHECK ((verified_by IS NULL) = (verified_at IS NULL))
) STRICT;

CREATE INDEX ix_production_client_date  ON production_entries (client_id, shift_date);
CREATE INDEX ix_production_wo_shift     ON production_entries (work_order_id, shift_date, shift_type);
CREATE INDEX ix_production_job_id       ON production_entries (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX ix_production_collector    ON production_entries (data_collector_id) WHERE data_collector_id IS NOT NULL;
CREATE INDEX ix_production_verified_by  ON production_entries (verified_by) WHERE verified_by IS NOT NULL;
-- natural key (duplicate check among active rows), NULL job / operation compare as equal
CREATE UNIQUE INDEX ux_production_natural ON production_entries
    (work_order_id, coalesce(job_id, ''), coalesce(operation_id, ''), shift_date, shift_type)
    WHERE is_active = 1;


CREATE TABLE downtime_entries (
    downtime_entry_id          TEXT    NOT NULL PRIMARY KEY,                 -- 'YYYYMMDD-DT-NNNN'
    work_order_id              TEXT    NOT NULL,
    client_id                  TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date                 TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type                 TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    downtime_reason            TEXT    CHECK (downtime_reason IN ('EQUIPMENT_FAILURE', 'MATERIAL_SHORTAGE', 'CHANGEOVER_SETUP',
                                       'LACK_OF_ORDERS', 'MAINTENANCE_SCHEDULED', 'QC_HOLD', 'MISSING_SPECIFICATION',
                                       'OTHER')),                                                     -- I
    downtime_reason_detail     TEXT,
    downtime_duration_minutes  INTEGER NOT NULL CHECK (downtime_duration_minutes BETWEEN 1 AND 1440),
    downtime_start_time        TEXT    CHECK (downtime_start_time IS strftime('%H:%M', downtime_start_time)
                                              AND downtime_start_time < '24:00'),
    responsible_person_id      TEXT    REFERENCES employees (employee_id),
    reported_by_user_id        TEXT    REFERENCES users (user_id),
    reported_at                TEXT,
    is_resolved                INTEGER NOT NULL DEFAULT 1 CHECK (is_resolved IN (0, 1)),
    resolution_notes           TEXT,
    employees_affected         INTEGER CHECK (employees_affected BETWEEN 1 AND 500),   -- NULL = whole crew
    -- impact_on_wip_hours is computed on read (it needs the crew of the matching production entry): not stored
    entry_method               TEXT    NOT NULL
                                       CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN', 'API', 'SYSTEM_IMPORT')),
    import_id                  TEXT,
    created_by                 TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at                 TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by                 TEXT,
    updated_at                 TEXT,
    is_active                  INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at                 TEXT,
    deleted_by                 TEXT,
    FOREIGN KEY (work_order_id, client_id) REFERENCES work_orders (work_order_id, client_id)
) STRICT;

CREATE INDEX ix_downtime_client_date ON downtime_entries (client_id, shift_date);
CREATE INDEX ix_downtime_wo_shift    ON downtime_entries (work_order_id, shift_date, shift_type);
CREATE INDEX ix_downtime_responsible ON downtime_entries (responsible_person_id) WHERE responsible_person_id IS NOT NULL;
CREATE INDEX ix_downtime_reported_by ON downtime_entries (reported_by_user_id) WHERE reported_by_user_id IS NOT NULL;


CREATE TABLE hold_entries (
    hold_entry_id               TEXT    NOT NULL PRIMARY KEY,                -- 'YYYYMMDD-HOLD-NNNN'
    work_order_id               TEXT    NOT NULL,
    job_id                      TEXT,                                        -- NULL = work-order-level hold
    client_id                   TEXT    NOT NULL REFERENCES clients (client_id),
    hold_status                 TEXT    NOT NULL CHECK (hold_status IN ('ON_HOLD', 'RESUMED', 'CANCELLED')),
    hold_date                   TEXT    CHECK (hold_date IS date(hold_date)),
    hold_time                   TEXT    CHECK (hold_time IS strftime('%H:%M', hold_time) AND hold_time < '24:00'),
    hold_reason                 TEXT    NOT NULL CHECK (hold_reason IN ('MATERIAL_INSPECTION', 'QUALITY_ISSUE',
                                        'ENGINEERING_REVIEW', 'CUSTOMER_REQUEST', 'MISSING_SPECIFICATION',
                                        'EQUIPMENT_UNAVAILABLE', 'CAPACITY_CONSTRAINT', 'OTHER')),
    hold_reason_detail          TEXT,
    hold_approved_by_user_id    TEXT    REFERENCES users (user_id),
    hold_approved_at            TEXT,
    resume_date                 TEXT    CHECK (resume_date IS date(resume_date)),
    resume_time                 TEXT    CHECK (resume_time IS strftime('%H:%M', resume_time) AND resume_time < '24:00'),
    resume_approved_by_user_id  TEXT,
    resume_approved_at          TEXT,
    total_hold_duration_hours   REAL    CHECK (total_hold_duration_hours >= 0),
    hold_notes                  TEXT,
    entry_method                TEXT    NOT NULL
                                        CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN', 'API', 'SYSTEM_IMPORT')),
    import_id                   TEXT,
    created_by                  TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at                  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by                  TEXT,
    updated_at                  TEXT,
    is_active                   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at                  TEXT,
    deleted_by                  TEXT,
    FOREIGN KEY (work_order_id, client_id) REFERENCES work_orders (work_order_id, client_id),
    FOREIGN KEY (job_id, work_order_id)    REFERENCES jobs (job_id, work_order_id),
    -- hold status/date rule: ON_HOLD has a hold date and no resume (clock paused, duration unknown);
    -- RESUMED has both dates and the duration computed on save; CANCELLED never took effect (no duration)
    CHECK ((hold_status = 'ON_HOLD'   AND hold_date IS NOT NULL AND resume_date IS NULL
                                      AND total_hold_duration_hours IS NULL)
        OR (hold_status = 'RESUMED'   AND hold_date IS NOT NULL AND resume_date IS NOT NULL
                                      AND total_hold_duration_hours IS NOT NULL)
        OR (hold_status = 'CANCELLED' AND total_hold_duration_hours IS NULL)),
    CHECK (resume_date >= hold_date)
) STRICT;

CREATE INDEX ix_hold_client_date   ON hold_entries (client_id, hold_date);
CREATE INDEX ix_hold_wo_status     ON hold_entries (work_order_id, hold_status);   -- WO ON_HOLD flag, WIP hold time
CREATE INDEX ix_hold_job_id        ON hold_entries (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX ix_hold_approved_by   ON hold_entries (hold_approved_by_user_id) WHERE hold_approved_by_user_id IS NOT NULL;
-- at most one open hold per (work order, job) — error hold_already_open (NULL job = the WO-level hold)
CREATE UNIQUE INDEX ux_hold_open ON hold_entries (work_order_id, coalesce(job_id, ''))
    WHERE is_active = 1 AND hold_status = 'ON_HOLD';


CREATE TABLE attendance_entries (
    attendance_entry_id              TEXT    NOT NULL PRIMARY KEY,           -- 'YYYYMMDD-<employee_id>-NN'
    employee_id                      TEXT    NOT NULL REFERENCES employees (employee_id),
    -- the line where the employee worked that day (may differ from employees.client_id_assigned, e.g. floaters)
    client_id                        TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date                       TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type                       TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    scheduled_hours                  REAL    CHECK (scheduled_hours > 0 AND scheduled_hours <= 24),     -- I
    actual_hours                     REAL    CHECK (actual_hours >= 0 AND actual_hours <= 24
                                                    AND actual_hours <= scheduled_hours),
    is_absent                        INTEGER NOT NULL CHECK (is_absent IN (0, 1)),
    absence_type                     TEXT    CHECK (absence_type IN ('UNSCHEDULED_ABSENCE', 'VACATION', 'MEDICAL_LEAVE',
                                                 'PERSONAL_DAY', 'SUSPENDED', 'OTHER')),
    absence_hours                    REAL    CHECK (absence_hours > 0 AND absence_hours <= 24
                                                    AND absence_hours <= scheduled_hours),             -- I
    covered_by_floating_employee_id  TEXT    REFERENCES employees (employee_id),
    coverage_confirmed               INTEGER NOT NULL DEFAULT 0 CHECK (coverage_confirmed IN (0, 1)),
    recorded_by_user_id              TEXT,
    recorded_at                      TEXT,
    verified_by_user_id              TEXT    REFERENCES users (user_id),
    verified_at                      TEXT,
    notes                            TEXT,
    entry_method                     TEXT    NOT NULL CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN',
                                                                              'API', 'SYSTEM_IMPORT')),
    import_id                        TEXT,
    created_by                       TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at                       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by                       TEXT,
    updated_at                       TEXT,
    is_active                        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at                       TEXT,
    deleted_by                       TEXT,
    -- absence fields on a present row are an error (domain.md §5.13)
    CHECK (is_absent = 1 OR (absence_type IS NULL AND absence_hours IS NULL AND covered_by_floating_employee_id IS NULL)),
    CHECK (covered_by_floating_employee_id <> employee_id),
    CHECK ((verified_by_user_id IS NULL) = (verified_at IS NULL))
) STRICT;

CREATE INDEX ix_attendance_client_date   ON attendance_entries (client_id, shift_date);
CREATE INDEX ix_attendance_emp_shift     ON attendance_entries (employee_id, shift_date, shift_type);
CREATE INDEX ix_attendance_covered_by    ON attendance_entries (covered_by_floating_employee_id)
    WHERE covered_by_floating_employee_id IS NOT NULL;
CREATE INDEX ix_attendance_verified_by   ON attendance_entries (verified_by_user_id) WHERE verified_by_user_id IS NOT NULL;
-- natural key
CREATE UNIQUE INDEX ux_attendance_natural ON attendance_entries (employee_id, shift_date, shift_type)
    WHERE is_active = 1;
-- a floater covers at most one absence per line-shift slot, across all clients
CREATE UNIQUE INDEX ux_attendance_floater_cover ON attendance_entries (covered_by_floating_employee_id, shift_date, shift_type)
    WHERE is_active = 1 AND covered_by_floating_employee_id IS NOT NULL;


CREATE TABLE coverage_entries (
    coverage_entry_id        TEXT    NOT NULL PRIMARY KEY,                   -- 'YYYYMMDD-COVERAGE-NNNN'
    absent_employee_id       TEXT    NOT NULL REFERENCES employees (employee_id),
    floating_employee_id     TEXT    NOT NULL REFERENCES employees (employee_id),   -- must be a floater (app check)
    client_id                TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date               TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type               TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    coverage_duration_hours  REAL    CHECK (coverage_duration_hours > 0 AND coverage_duration_hours <= 24),   -- I
    recorded_by_user_id      TEXT,
    recorded_at              TEXT,
    verified                 INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    notes                    TEXT,
    entry_method             TEXT    NOT NULL
                                     CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN', 'API', 'SYSTEM_IMPORT')),
    import_id                TEXT,
    created_by               TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at               TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by               TEXT,
    updated_at               TEXT,
    is_active                INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at               TEXT,
    deleted_by               TEXT,
    CHECK (floating_employee_id <> absent_employee_id)
) STRICT;

CREATE INDEX ix_coverage_client_date ON coverage_entries (client_id, shift_date);
CREATE INDEX ix_coverage_absent      ON coverage_entries (absent_employee_id, shift_date);
CREATE INDEX ix_coverage_floating    ON coverage_entries (floating_employee_id, shift_date);
-- one person is never reported in two places at once (floater_double_booked), across all clients
CREATE UNIQUE INDEX ux_coverage_floater_slot ON coverage_entries (floating_employee_id, shift_date, shift_type)
    WHERE is_active = 1;


CREATE TABLE quality_entries (
    quality_entry_id        TEXT    NOT NULL PRIMARY KEY,                    -- 'YYYYMMDD-QC-NNNN'
    work_order_id           TEXT    NOT NULL,
    job_id                  TEXT,
    client_id               TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date              TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type              TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    operation_checked       TEXT    NOT NULL,
    units_inspected         INTEGER NOT NULL CHECK (units_inspected > 0),
    units_passed            INTEGER CHECK (units_passed >= 0 AND units_passed <= units_inspected),          -- I
    units_defective         INTEGER CHECK (units_defective >= 0 AND units_defective <= units_inspected),    -- I
    units_requiring_rework  INTEGER CHECK (units_requiring_rework >= 0),     -- rework + repair > defective: warning only
    units_requiring_repair  INTEGER CHECK (units_requiring_repair >= 0),
    defect_categories       TEXT,
    total_defects_count     INTEGER CHECK (total_defects_count >= 0),                                       -- I
    qc_inspector_id         TEXT,                                            -- employee_id or user_id: no FK
    recorded_by_user_id     TEXT,
    recorded_at             TEXT,
    inspection_method       TEXT    CHECK (inspection_method IN ('VISUAL', 'MEASUREMENT', 'FUNCTIONAL_TEST', 'SAMPLE_CHECK',
                                                                 '100_PERCENT_INSPECTION', 'OTHER')),
    sample_size_percent     REAL    CHECK (sample_size_percent > 0 AND sample_size_percent <= 100),
    notes                   TEXT,
    verified_by_user_id     TEXT    REFERENCES users (user_id),
    verified_at             TEXT,
    entry_method            TEXT    NOT NULL
                                    CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN', 'API', 'SYSTEM_IMPORT')),
    import_id               TEXT,
    created_by              TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at              TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by              TEXT,
    updated_at              TEXT,
    is_active               INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at              TEXT,
    deleted_by              TEXT,
    FOREIGN KEY (work_order_id, client_id) REFERENCES work_orders (work_order_id, client_id),
    FOREIGN KEY (job_id, work_order_id)    REFERENCES jobs (job_id, work_order_id),
    -- a unit is either passed (no rework, no repair) or defective, never both
    CHECK (units_passed + units_defective <= units_inspected),
    CHECK ((verified_by_user_id IS NULL) = (verified_at IS NULL)),
    UNIQUE (quality_entry_id, client_id)           -- target of defect_details' same-client foreign key
) STRICT;

CREATE INDEX ix_quality_client_date ON quality_entries (client_id, shift_date);
CREATE INDEX ix_quality_wo_shift    ON quality_entries (work_order_id, shift_date, shift_type);
CREATE INDEX ix_quality_job_id      ON quality_entries (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX ix_quality_verified_by ON quality_entries (verified_by_user_id) WHERE verified_by_user_id IS NOT NULL;
-- natural key
CREATE UNIQUE INDEX ux_quality_natural ON quality_entries
    (work_order_id, coalesce(job_id, ''), operation_checked, shift_date, shift_type)
    WHERE is_active = 1;


CREATE TABLE defect_details (
    defect_detail_id         TEXT    NOT NULL PRIMARY KEY,                   -- '<quality_entry_id>-DEFECT-NN'
    quality_entry_id         TEXT    NOT NULL,
    client_id                TEXT    NOT NULL REFERENCES clients (client_id),   -- copied from the parent
    defect_type              TEXT    NOT NULL CHECK (defect_type IN ('STITCHING', 'COLOR_MISMATCH', 'SIZING', 'MATERIAL_DEFECT',
                                                                     'ASSEMBLY', 'FINISHING', 'PACKAGING', 'OTHER')),
    defect_description       TEXT,
    unit_serial_or_id        TEXT,
    is_rework_required       INTEGER NOT NULL DEFAULT 0 CHECK (is_rework_required IN (0, 1)),
    is_repair_in_current_op  INTEGER NOT NULL DEFAULT 0 CHECK (is_repair_in_current_op IN (0, 1)),
    is_scrapped              INTEGER NOT NULL DEFAULT 0 CHECK (is_scrapped IN (0, 1)),
    root_cause               TEXT    CHECK (root_cause IN ('OPERATOR_ERROR', 'MATERIAL_ISSUE', 'EQUIPMENT_ISSUE',
                                                           'PROCESS_ISSUE', 'DESIGN_ISSUE', 'UNKNOWN')),
    operation_id             TEXT,
    entry_method             TEXT    NOT NULL
                                     CHECK (entry_method IN ('MANUAL_ENTRY', 'CSV_UPLOAD', 'QR_SCAN', 'API', 'SYSTEM_IMPORT')),
    import_id                TEXT,
    created_by               TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at               TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by               TEXT,
    updated_at               TEXT,
    is_active                INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at               TEXT,
    deleted_by               TEXT,
    -- the copied client_id must be the parent's
    FOREIGN KEY (quality_entry_id, client_id) REFERENCES quality_entries (quality_entry_id, client_id)
) STRICT;

CREATE INDEX ix_defect_quality_entry ON defect_details (quality_entry_id, client_id);
CREATE INDEX ix_defect_client_type   ON defect_details (client_id, defect_type);


-- -----------------------------------------------------------------------------------------------------
-- Settings, standards, shift control
-- -----------------------------------------------------------------------------------------------------

-- current settings of a client = the highest version whose effective_from <= T (future versions are scheduled)
CREATE TABLE client_settings (
    client_id       TEXT    NOT NULL REFERENCES clients (client_id),
    version         INTEGER NOT NULL CHECK (version >= 1),
    effective_from  TEXT    NOT NULL,
    settings        TEXT    NOT NULL CHECK (json_valid(settings) AND json_type(settings) = 'object'),
    comment         TEXT,
    created_by      TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (client_id, version)
) STRICT;

CREATE INDEX ix_client_settings_effective ON client_settings (client_id, effective_from);


-- versions of PRODUCT / SHIFT / PART_OPPORTUNITIES standards: effective_from <= T < effective_to
CREATE TABLE standard_history (
    id              INTEGER NOT NULL PRIMARY KEY,
    client_id       TEXT    NOT NULL REFERENCES clients (client_id),
    entity          TEXT    NOT NULL CHECK (entity IN ('PRODUCT', 'SHIFT', 'PART_OPPORTUNITIES')),
    entity_id       TEXT    NOT NULL,
    field           TEXT    NOT NULL,
    value           TEXT    CHECK (value IS NULL OR json_valid(value)),     -- json; NULL/'null' = no standard
    effective_from  TEXT    NOT NULL,
    effective_to    TEXT,                                                    -- NULL = current version
    changed_by      TEXT    NOT NULL,
    CHECK (effective_to >= effective_from)
) STRICT;

CREATE INDEX ix_standard_history_lookup ON standard_history (client_id, entity, entity_id, field, effective_from);
-- one open (current) version per standard: a change closes the current row first, then inserts the new one
CREATE UNIQUE INDEX ux_standard_history_current ON standard_history (client_id, entity, entity_id, field)
    WHERE effective_to IS NULL;


-- a closed line-shift; soft delete (is_active = 0) = reopened, closing again reactivates the same row
CREATE TABLE shift_closes (
    shift_close_id  TEXT    NOT NULL PRIMARY KEY
                            CHECK (shift_close_id = client_id || '.' || replace(shift_date, '-', '') || '.' || shift_type),
    client_id       TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date      TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type      TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    closed_by       TEXT    NOT NULL,
    closed_at       TEXT    NOT NULL,
    created_by      TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at      TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by      TEXT,
    updated_at      TEXT,
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    deleted_at      TEXT,
    deleted_by      TEXT,
    UNIQUE (client_id, shift_date, shift_type)
) STRICT;


CREATE TABLE watchdog_findings (
    finding_id   TEXT    NOT NULL PRIMARY KEY,
    client_id    TEXT    NOT NULL REFERENCES clients (client_id),
    shift_date   TEXT    NOT NULL CHECK (shift_date IS date(shift_date)),
    shift_type   TEXT    NOT NULL CHECK (shift_type IN ('SHIFT_1ST', 'SHIFT_2ND', 'SAT_OT', 'SUN_OT', 'OTHER')),
    missing      TEXT    NOT NULL CHECK (json_valid(missing)),               -- json array of resources
    detected_at  TEXT    NOT NULL,
    resolved_at  TEXT                                                        -- NULL = open
) STRICT;

CREATE INDEX ix_watchdog_client_date ON watchdog_findings (client_id, shift_date);
-- the watchdog runs every 15 min: at most one open finding per line-shift
CREATE UNIQUE INDEX ux_watchdog_open ON watchdog_findings (client_id, shift_date, shift_type) WHERE resolved_at IS NULL;


-- -----------------------------------------------------------------------------------------------------
-- Ingest bookkeeping
-- -----------------------------------------------------------------------------------------------------

CREATE TABLE import_log (
    import_id         TEXT    NOT NULL PRIMARY KEY,                          -- 'IMP-YYYYMMDD-NNNN'
    resource          TEXT    NOT NULL,
    client_ids        TEXT    NOT NULL CHECK (json_valid(client_ids)),       -- json array
    user_id           TEXT    NOT NULL,
    import_timestamp  TEXT    NOT NULL,
    file_name         TEXT,
    import_type       TEXT    NOT NULL CHECK (import_type IN ('csv_upload', 'batch_import')),
    channel           TEXT    NOT NULL CHECK (channel IN ('direct', 'confirm')),
    rows_attempted    INTEGER NOT NULL CHECK (rows_attempted >= 0),
    rows_succeeded    INTEGER NOT NULL CHECK (rows_succeeded >= 0),
    rows_failed       INTEGER NOT NULL CHECK (rows_failed >= 0),
    error_details     TEXT    CHECK (error_details IS NULL OR json_valid(error_details)),   -- json, first 1 000 errors
    status            TEXT    NOT NULL CHECK (status IN ('COMMITTED', 'REJECTED')),
    all_or_nothing    INTEGER NOT NULL DEFAULT 0 CHECK (all_or_nothing IN (0, 1)),
    CHECK (rows_succeeded + rows_failed <= rows_attempted)
) STRICT;

CREATE INDEX ix_import_log_timestamp ON import_log (import_timestamp);
CREATE INDEX ix_import_log_user      ON import_log (user_id, import_timestamp);


-- physically deleted by housekeeping 24 h after expiry (not business data)
CREATE TABLE import_previews (
    token         TEXT    NOT NULL PRIMARY KEY,
    user_id       TEXT    NOT NULL REFERENCES users (user_id),               -- the token is bound to this user
    resource      TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('batch', 'csv')),
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    expires_at    TEXT    NOT NULL,
    used_at       TEXT,                                                      -- single use
    file_name     TEXT,
    request_hash  TEXT,
    rows          TEXT    NOT NULL                                           -- json (not json_valid-checked: can be large)
) STRICT;

CREATE INDEX ix_import_previews_user    ON import_previews (user_id);
CREATE INDEX ix_import_previews_expires ON import_previews (expires_at);


CREATE TABLE audit_log (
    audit_id     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,   -- AUTOINCREMENT: ids never reused, order = time
    occurred_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    user_id      TEXT,                    -- no FKs: LOGIN_FAILED may name an unknown user, the log must outlive anything
    client_id    TEXT,
    entity       TEXT    NOT NULL,
    entity_id    TEXT,
    action       TEXT    NOT NULL CHECK (action IN ('CREATE', 'UPDATE', 'DELETE', 'RESTORE', 'VERIFY', 'AMEND', 'SETTINGS',
                                                    'SCRIPT', 'LOGIN', 'LOGIN_FAILED', 'LOCKOUT', 'PASSWORD', 'ROLE')),
    field        TEXT,
    old_value    TEXT,
    new_value    TEXT,
    reason       TEXT,
    request_id   TEXT,
    import_id    TEXT
) STRICT;

CREATE INDEX ix_audit_entity ON audit_log (entity, entity_id, occurred_at);
CREATE INDEX ix_audit_client ON audit_log (client_id, occurred_at);

-- append-only (ingest.md §10): the database itself refuses to rewrite history
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;


-- -----------------------------------------------------------------------------------------------------
-- Formula scripts, mail, backups, service bookkeeping
-- -----------------------------------------------------------------------------------------------------

CREATE TABLE kpi_scripts (
    id             INTEGER NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL CHECK (name IN ('wip_aging', 'otd', 'true_otd', 'efficiency', 'performance',
                                                    'availability', 'quality_rate', 'oee', 'ppm', 'dpmo', 'fpy', 'rty',
                                                    'rty_stages', 'absenteeism', 'production_hours')),
    -- allocated per name across all scopes, so (name, version) names exactly one source
    version        INTEGER NOT NULL CHECK (version >= 1),
    client_id      TEXT    REFERENCES clients (client_id),                   -- NULL = global
    source         TEXT    NOT NULL,
    comment        TEXT,
    source_origin  TEXT    NOT NULL CHECK (source_origin IN ('file', 'api', 'rollback')),
    check_report   TEXT    CHECK (check_report IS NULL OR json_valid(check_report)),   -- json
    is_current     INTEGER NOT NULL DEFAULT 0 CHECK (is_current IN (0, 1)),
    created_by     TEXT    NOT NULL DEFAULT 'SYSTEM',
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (name, version)
) STRICT;

CREATE INDEX ix_kpi_scripts_client ON kpi_scripts (client_id) WHERE client_id IS NOT NULL;
-- one current version per (name, scope); publishing clears the old current row first, then sets the new one
CREATE UNIQUE INDEX ux_kpi_scripts_current ON kpi_scripts (name, coalesce(client_id, '')) WHERE is_current = 1;


CREATE TABLE mail_outbox (
    message_id       TEXT    NOT NULL PRIMARY KEY,                           -- 'MSG-YYYYMMDD-NNNN'
    client_id        TEXT    REFERENCES clients (client_id),                 -- NULL for e.g. a test message
    kind             TEXT    NOT NULL CHECK (kind IN ('daily_report', 'manual_report', 'watchdog', 'test')),
    report_date      TEXT    CHECK (report_date IS date(report_date)),
    recipients       TEXT    NOT NULL CHECK (json_valid(recipients)),        -- json array of addresses
    subject          TEXT    NOT NULL,
    body_text        TEXT,
    body_html        TEXT,
    attachments      ANY,                  -- the mailer's encoding (json text or blob); NULL once dropped (90 days)
    status           TEXT    NOT NULL DEFAULT 'PENDING'
                             CHECK (status IN ('PENDING', 'SENDING', 'SENT', 'FAILED', 'CANCELLED')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT,
    last_error       TEXT,
    sent_at          TEXT,
    created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;

CREATE INDEX ix_mail_outbox_queue  ON mail_outbox (status, next_attempt_at);
CREATE INDEX ix_mail_outbox_client ON mail_outbox (client_id, created_at) WHERE client_id IS NOT NULL;
-- the daily report is never sent twice for a (client, day)
CREATE UNIQUE INDEX ux_mail_outbox_daily ON mail_outbox (client_id, kind, report_date) WHERE kind = 'daily_report';


CREATE TABLE backup_records (
    backup_id       TEXT    NOT NULL PRIMARY KEY,                            -- 'BKP-YYYYMMDD-HHMMSS'
    trigger         TEXT    NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli', 'pre_migrate', 'pre_restore',
                                                        'pre_deploy')),     -- keyword; may be quoted "trigger"
    path            TEXT    NOT NULL,
    started_at      TEXT    NOT NULL,
    finished_at     TEXT,
    size_bytes      INTEGER CHECK (size_bytes >= 0),
    sha256          TEXT,
    schema_version  INTEGER,
    integrity       TEXT,                                                    -- PRAGMA integrity_check result
    restore_test    TEXT    CHECK (restore_test IN ('ok', 'failed')),
    status          TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'verified', 'failed')),
    error           TEXT
) STRICT;

CREATE INDEX ix_backup_records_status ON backup_records (status, started_at);


-- scope (user, key), kept 24 h; status_code NULL = first request still running (request_in_progress)
CREATE TABLE idempotency_keys (
    user_id        TEXT    NOT NULL REFERENCES users (user_id),
    key            TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash   TEXT    NOT NULL,                                         -- SHA-256 of method, path, query, body
    status_code    INTEGER CHECK (status_code BETWEEN 100 AND 599),
    response_body  TEXT,
    created_at     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (user_id, key)
) STRICT;

CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);


-- server-assigned id counters per (table, date) across all clients; tiny hot rows -> WITHOUT ROWID
CREATE TABLE id_sequences (
    table_name  TEXT    NOT NULL,
    date        TEXT    NOT NULL,
    next_value  INTEGER NOT NULL DEFAULT 1 CHECK (next_value >= 1),
    PRIMARY KEY (table_name, date)
) STRICT, WITHOUT ROWID;


-- scope = '' for global jobs, else e.g. the client_id of a daily report
CREATE TABLE scheduler_runs (
    job          TEXT NOT NULL,
    scope        TEXT NOT NULL DEFAULT '',
    last_run_at  TEXT,
    last_status  TEXT,
    last_error   TEXT,
    PRIMARY KEY (job, scope)
) STRICT, WITHOUT ROWID;


-- single row; PRAGMA user_version is repaired from it at start (e.g. after a restore from an SQL dump)
CREATE TABLE schema_meta (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    schema_version  INTEGER NOT NULL,
    applied_at      TEXT    NOT NULL
) STRICT;

INSERT INTO schema_meta(id, schema_version, applied_at) VALUES (1, 1, strftime('%Y-%m-%dT%H:%M:%SZ','now'));
