import { createRouter, createWebHashHistory } from 'vue-router';
import LoginPage from './pages/LoginPage.vue';
import HomePage from './pages/HomePage.vue';
import EnterprisePage from './pages/EnterprisePage.vue';
import FindingPage from './pages/FindingPage.vue';
import RegistryPage from './pages/RegistryPage.vue';
import RegistryEnterprisePage from './pages/RegistryEnterprisePage.vue';
import ListsPage from './pages/ListsPage.vue';
import VerificationPage from './pages/VerificationPage.vue';
import ReviewPage from './pages/ReviewPage.vue';
import CityPage from './pages/CityPage.vue';
import MapPage from './pages/MapPage.vue';

// Hash history: every page is served from one index.html by the gateway.
// Every page names its district (or enterprise) in the path and shows what
// the services answer for the signed-in person: a page of a district the
// person may not read shows the refusal, nothing else.
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
    // The bureau's, the verifier's and the city's workspaces.
    { path: '/districts/:district/registry', component: RegistryPage },
    { path: '/districts/:district/registry/:enterprise', component: RegistryEnterprisePage },
    { path: '/districts/:district/lists', component: ListsPage },
    { path: '/districts/:district/verification', component: VerificationPage },
    { path: '/districts/:district/verification/:enterprise/:finding', component: ReviewPage },
    { path: '/districts/:district/map', component: MapPage },
    { path: '/city', component: CityPage },
  ],
});
