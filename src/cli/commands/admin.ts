// `streamtune admin` is the older name of `streamtune models`.
export { adminCommand } from './models.js';
