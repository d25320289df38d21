// Shapes of the admin routes (api.md §4, §5, §9).
export const ROLES = ['ADMIN', 'POWERUSER', 'LEADER_DATACONFIG', 'OPERATOR_DATAENTRY'] as const;
export type FullRole = (typeof ROLES)[number];

export interface User {
  user_id: string;
  username: string;
  full_name: string | null;
  email: string | null;
  role: FullRole;
  client_ids: string[];
  client_id_assigned?: string | null;
  is_active: boolean;
  last_login: string | null;
}

export interface Client {
  client_id: string;
  client_name: string;
  client_contact: string | null;
  client_email: string | null;
  client_phone: string | null;
  location: string | null;
  client_type: string | null;
  timezone: string | null;
  supervisor_id?: string | null;
  planner_id?: string | null;
  engineering_id?: string | null;
  is_active: boolean;
}

export interface ClientSettings {
  client_id: string;
  version: number;
  effective_from: string;
  settings: Record<string, unknown> & {
    targets?: Record<string, number | null>;
    display_caps?: Record<string, number>;
    otd_mode?: string;
    default_cycle_time_hours?: number;
    default_opportunities_per_unit?: number | null;
    excluded_absence_types?: string[];
    inference?: {
      history_days?: number;
      min_history_points?: number;
      lead_time_days?: number;
      chains?: Record<string, string[]>;
    };
  };
  scheduled: { version: number; effective_from: string }[];
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const ABSENCE_TYPES = ['UNSCHEDULED_ABSENCE', 'VACATION', 'MEDICAL_LEAVE', 'PERSONAL_DAY', 'SUSPENDED', 'OTHER'] as const;
export const OTD_MODES = ['BOTH', 'OTD', 'TRUE_OTD'] as const;
