export { CatalogKeys } from '@star/protocol';
export { type CatalogAccess, OPEN_ACCESS } from './catalog-access.js';
export { CatalogSettings } from './catalog-settings.js';
export { type CatalogsPluginOptions, catalogsPlugin } from './catalogs-plugin.js';
