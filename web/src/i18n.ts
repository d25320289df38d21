// English and Spanish (per user, spec README "Operations"). A flat dictionary and `t(key)`:
// a missing Spanish string falls back to English, a missing key shows the key.
import { ref } from 'vue';

export type Lang = 'en' | 'es';
export const lang = ref<Lang>((globalThis.localStorage?.getItem('kpi.lang') as Lang) || 'en');

export function setLang(l: Lang): void {
  lang.value = l;
  localStorage.setItem('kpi.lang', l);
}

const en: Record<string, string> = {
  'app.title': 'KPI Operations',
  'nav.dashboard': 'Dashboard',
  'nav.overview': 'All clients',
  'nav.entry': 'Data entry',
  'nav.upload': 'CSV upload',
  'nav.formulas': 'Formulas',
  'nav.users': 'Users',
  'nav.clients': 'Clients',
  'nav.operations': 'Operations',
  'nav.logout': 'Log out',
  'client.pick': 'Client',
  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.expired': 'Your session ended; please sign in again.',
};

const es: Record<string, string> = {
  'nav.dashboard': 'Panel',
  'nav.overview': 'Todos los clientes',
  'nav.entry': 'Captura de datos',
  'nav.upload': 'Carga CSV',
  'nav.formulas': 'Fórmulas',
  'nav.users': 'Usuarios',
  'nav.clients': 'Clientes',
  'nav.operations': 'Operaciones',
  'nav.logout': 'Cerrar sesión',
  'client.pick': 'Cliente',
  'login.title': 'Iniciar sesión',
  'login.username': 'Usuario',
  'login.password': 'Contraseña',
  'login.submit': 'Entrar',
  'login.expired': 'Su sesión terminó; inicie sesión de nuevo.',
};

const dicts: Record<Lang, Record<string, string>> = { en, es };

/// Adds strings (views register their own keys next to their code).
export function addMessages(l: Lang, m: Record<string, string>): void {
  Object.assign(dicts[l], m);
}

export function t(key: string): string {
  return dicts[lang.value][key] ?? en[key] ?? key;
}
