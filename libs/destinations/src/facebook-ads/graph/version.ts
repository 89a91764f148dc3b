/**
 * The Graph / Marketing API version the services call unless configured otherwise: the newest Meta
 * documents (v27.0, released 4 November 2026; v24.0 expired for the Marketing API on 10 November 2026).
 * https://developers.facebook.com/documentation/ads-commerce/marketing-api/marketing-api-changelog/versions
 */
export const GRAPH_VERSION = 'v27.0';

export const GRAPH_BASE_URL = `https://graph.facebook.com/${GRAPH_VERSION}`;
export const DIALOG_BASE_URL = `https://www.facebook.com/${GRAPH_VERSION}/dialog/oauth`;
