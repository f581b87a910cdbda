export { type CatalogAccess, OPEN_ACCESS } from './catalog-access.js';
export { CatalogSettings } from './catalog-settings.js';
export { CatalogKeys } from './catalog-store.js';
export { type CatalogsPluginOptions, catalogsPlugin } from './catalogs-plugin.js';
