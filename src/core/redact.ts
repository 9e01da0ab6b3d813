const SECRET_PARAMS = /^(password|pass|pwd|token|api[-_]?key|key|secret|access[-_]?token|sslpassword)$/i;

/**
 * A URL safe to print: user info replaced, secret-looking query parameters masked. Unparseable
 * input is never echoed (it may be a connection string with a password in it).
 */
export function redactUrl(value: string | undefined): string {
  if (value === undefined) return '<unset>';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '<unparseable url>';
  }
  if (url.host === '') return '<unparseable url>';
  if (url.username || url.password) {
    url.username = url.username ? '***' : '';
    url.password = url.password ? '***' : '';
  }
  for (const key of [...url.searchParams.keys()]) {
    if (SECRET_PARAMS.test(key)) url.searchParams.set(key, '***');
  }
  return url.toString();
}

/** Removes every occurrence of each secret from a text (for engine messages that may echo them). */
export function scrub(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}
