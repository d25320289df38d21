// Admin requests: users, clients and settings, and the operations lists.
import { api } from '../api/client';
import type { Client, ClientSettings, Page, User } from './types';

export const listUsers = () => api.get<Page<User>>('/api/users', { limit: 1000 });
export const createUser = (body: Record<string, unknown>) => api.post<User>('/api/users', body);
export const patchUser = (id: string, body: Record<string, unknown>) => api.patch<User>(`/api/users/${encodeURIComponent(id)}`, body);

export const listClients = () => api.get<Page<Client>>('/api/clients', { include_inactive: true, limit: 1000 });
export const createClient = (body: Record<string, unknown>) => api.post<Client>('/api/clients', body);
export const patchClient = (id: string, body: Record<string, unknown>) =>
  api.patch<Client>(`/api/clients/${encodeURIComponent(id)}`, body);
export const deactivateClient = (id: string) => api.del<Client>(`/api/clients/${encodeURIComponent(id)}`);

export const getSettings = (id: string) => api.get<ClientSettings>(`/api/clients/${encodeURIComponent(id)}/settings`);
export const putSettings = (id: string, body: Record<string, unknown>) =>
  api.put<ClientSettings>(`/api/clients/${encodeURIComponent(id)}/settings`, body);

/// Any list route with the standard {items, next_cursor} page.
export const listPage = <T>(path: string, query: Record<string, string | number | undefined>) =>
  api.get<Page<T>>(path, query);
