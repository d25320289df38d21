import { createApp } from 'vue';
import App from './App.vue';
import { router, toLogin } from './router';
import { api } from './api/client';
import './styles.css';

api.onUnauthorized = toLogin;
createApp(App).use(router).mount('#app');
