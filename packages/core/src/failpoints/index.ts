export { mountFailpointRoutes } from './failpoint-routes.js';
export { Failpoints, failpoint, failpoints } from './failpoints.js';
