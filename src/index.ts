/** Public package surface: plugin types for plugin authors, and the start function for embedding. */
export type * from './plugins/types.js';
export type { Attributes, SubjectConfirmationMethod } from './engine/types.js';
export { startTessera } from './app.js';
export { loadConfig } from './config.js';
