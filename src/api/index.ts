/** The central controller's REST API. */
export { API_VERSION, buildApi, type ApiOptions } from './server';
export { type Principal, type TokenTable } from './auth';
export { httpStatusFor, toErrorResponse, type ApiErrorBody } from './errors';
