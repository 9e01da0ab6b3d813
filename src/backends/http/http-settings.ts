import { redactUrl } from '../../core/redact.js';
import { ConfigError } from '../../errors.js';

/** The name every error of the `http` semantic backend carries. */
export const HTTP_BACKEND = 'http';

/** Where the gateway is and how to authenticate, resolved from the config and the environment. */
export interface HttpSettings {
  /** Base URL without trailing slashes; request paths (`/v1/…`) are appended. */
  baseUrl: string;
  /** The base URL safe to print (user info and secret-looking parameters masked). */
  where: string;
  /** Bearer token; undefined when `http_token_env` is not set (a gateway without auth). */
  token: string | undefined;
  /** The env var the token came from, named in auth errors. */
  tokenEnv: string | undefined;
}

/**
 * Resolves `http.url` and `http.token_env` (flat: `http_url`, `http_token_env`). ConfigError when the URL is missing, not http(s),
 * or carries credentials (the token belongs in the env var), or when `http_token_env` names a
 * variable that is unset or empty in `env`. Never touches the network.
 */
export function resolveHttpSettings(options: { url?: string | undefined; tokenEnv?: string | undefined }, env: NodeJS.ProcessEnv): HttpSettings {
  const raw = options.url;
  if (raw === undefined || raw === '') {
    throw new ConfigError(['http_url: required when semantic_backend is "http"'], { backend: HTTP_BACKEND });
  }
  const where = redactUrl(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError([`http_url: not an absolute URL (${where})`], { backend: HTTP_BACKEND });
  }
  const problems: string[] = [];
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`http_url: must be an http:// or https:// URL (${where})`);
  if (url.host === '') problems.push(`http_url: must have a host (${where})`);
  if (url.username || url.password) {
    problems.push(`http_url: must not hold credentials (${where}); put the token in the variable named by http_token_env`);
  }
  if (url.hash) problems.push(`http_url: must not have a #fragment (${where})`);
  if (url.search) problems.push(`http_url: must not have a ?query (${where})`);

  const tokenEnv = options.tokenEnv;
  let token: string | undefined;
  if (tokenEnv !== undefined) {
    token = env[tokenEnv];
    if (!token) problems.push(`http_token_env: environment variable ${tokenEnv} is not set or empty`);
  }
  if (problems.length > 0) throw new ConfigError(problems, { backend: HTTP_BACKEND });
  return { baseUrl: url.toString().replace(/\/+$/, ''), where, token, tokenEnv };
}
