// `streamtune admin` is the older name of `streamtune models`: the same command.
export { adminCommand } from './models.js';
