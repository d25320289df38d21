// Who is logged in, which client is selected. The token lives in the API client (localStorage);
// the selected client survives reloads. Any 401 clears the session and returns to /login.
import { reactive } from 'vue';
import { api } from './api/client';

export type Role = 'ADMIN' | 'POWERUSER' | 'LEADER_DATACONFIG' | 'OPERATOR_DATAENTRY';

export interface SessionUser {
  user_id: string;
  username: string;
  role: Role;
  full_name?: string | null;
  email?: string | null;
  language?: string | null;
}

export interface VisibleClient {
  client_id: string;
  client_name: string;
  is_active: boolean;
}

interface LoginBody {
  access_token: string;
  expires_in: number;
  user: SessionUser;
}

const CLIENT_KEY = 'kpi.client';

export const session = reactive({
  user: null as SessionUser | null,
  clients: [] as VisibleClient[],
  clientId: (globalThis.localStorage?.getItem(CLIENT_KEY) ?? '') as string,
  /// Set when a 401 sent us back to the login page (shown there).
  expired: false,
});

export function isLoggedIn(): boolean {
  return !!api.token;
}

export function canSeeAllClients(): boolean {
  return session.user?.role === 'ADMIN' || session.user?.role === 'POWERUSER';
}

export function selectClient(id: string): void {
  session.clientId = id;
  localStorage.setItem(CLIENT_KEY, id);
}

/// Loads /api/auth/me: the user and the clients they may see; keeps a valid selection.
export async function loadMe(): Promise<void> {
  const me = await api.get<SessionUser & { clients: VisibleClient[] }>('/api/auth/me');
  const { clients, ...user } = me;
  session.user = user;
  session.clients = clients;
  if (!clients.some((c) => c.client_id === session.clientId)) {
    selectClient(clients.find((c) => c.is_active)?.client_id ?? clients[0]?.client_id ?? '');
  }
}

export async function login(username: string, password: string): Promise<void> {
  const body = await api.post<LoginBody>('/api/auth/login', { username, password });
  api.token = body.access_token;
  session.expired = false;
  await loadMe();
}

export function logout(): void {
  api.token = null;
  session.user = null;
  session.clients = [];
}
