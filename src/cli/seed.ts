// `npm run seed`: migrate and seed whatever is missing, then exit.
import { withApp } from './boot.js';

await withApp((app) => app.seed());
