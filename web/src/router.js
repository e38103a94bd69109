import { createRouter, createWebHashHistory } from 'vue-router';
import LoginPage from './pages/LoginPage.vue';
import HomePage from './pages/HomePage.vue';
import EnterprisePage from './pages/EnterprisePage.vue';
import FindingPage from './pages/FindingPage.vue';

// Hash history: every page is served from one index.html by the gateway.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/', component: HomePage },
    { path: '/login', component: LoginPage },
    // The enterprise is named in the path as its resource name without the
    // "districts/" prefix; the services refuse any other enterprise.
    { path: '/districts/:district/enterprises/:enterprise', component: EnterprisePage },
    {
      path: '/districts/:district/enterprises/:enterprise/findings/:finding',
      component: FindingPage,
    },
  ],
});
