// Screens. Every view is its own chunk, so the formula editor (CodeMirror) and the grids
// (RevoGrid) load only when opened.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { isLoggedIn, session } from './session';

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
  { path: '/overview', name: 'overview', component: () => import('./views/OverviewView.vue') },
  { path: '/entry/:resource', name: 'entry', component: () => import('./views/EntryView.vue'), props: true },
  { path: '/upload/:resource', name: 'upload', component: () => import('./views/UploadView.vue'), props: true },
  { path: '/shifts', name: 'shifts', component: () => import('./views/ShiftStatusView.vue') },
  { path: '/formulas', name: 'formulas', component: () => import('./views/FormulasView.vue') },
  { path: '/admin/users', name: 'users', component: () => import('./views/AdminUsersView.vue') },
  { path: '/admin/clients', name: 'clients', component: () => import('./views/AdminClientsView.vue') },
  { path: '/admin/operations', name: 'operations', component: () => import('./views/AdminOpsView.vue') },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach((to) => {
  if (!to.meta.public && !isLoggedIn()) {
    return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  }
  return true;
});

/// After a 401 anywhere: back to the login page, remembering where we were.
export function toLogin(): void {
  session.expired = true;
  // A 401 during the first navigation (App's /api/auth/me) would otherwise see the start route '/'
  // and lose the deep link; wait until the router knows where we are.
  void router.isReady().then(() => {
    const here = router.currentRoute.value;
    if (here.name !== 'login') void router.push({ name: 'login', query: { next: here.fullPath } });
  });
}
