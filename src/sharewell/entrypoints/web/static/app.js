// Starts GOV.UK Frontend's components. A file, not an inline script, so the CSP can forbid
// inline scripts.
import { initAll } from "/assets/govuk/govuk-frontend.min.js";

initAll();
