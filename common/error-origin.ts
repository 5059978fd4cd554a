// Where a failed user failed: the part of the path that stopped it. Classes say what happened;
// origins say whose limit it was, so a run whose errors were nginx's or the client's says so.

export const ERROR_ORIGINS = [
  'dropped',
  'client-timeout',
  'refused',
  'reset',
  'nginx-connection-limit',
  'nginx-upstream',
  'nginx-other',
  'app-4xx',
  'app-5xx',
  'app-other',
  'content',
  'aborted',
  'other',
] as const;

export type ErrorOrigin = (typeof ERROR_ORIGINS)[number];

/** What each origin means, for the summaries. */
export const ERROR_ORIGIN_MEANING: Readonly<Record<ErrorOrigin, string>> = {
  dropped: "turned away at the client's in-flight cap (--max-active … --on-saturation drop)",
  'client-timeout': "no whole answer within the client's --timeout",
  refused: 'connection refused (nothing listening, or the listen backlog full)',
  reset: 'connection reset or closed without an answer',
  'nginx-connection-limit': 'reset while nginx logged that its worker_connections were not enough',
  'nginx-upstream': 'nginx answered 502/503/504 itself: the app could not be reached or was too slow',
  'nginx-other': 'another answer nginx gave itself (no X-Backend)',
  'app-4xx': 'the app answered 4xx',
  'app-5xx': 'the app answered 5xx',
  'app-other': 'the app answered with a status the scenario did not expect',
  content: "the answer was not the contract's (own post missing, wrong X-Backend, no token)",
  aborted: 'the run was interrupted',
  other: 'anything else',
};

/** The origin of a failure of class `errorClass`; `byApp` when the failing answer carried X-Backend. */
export function errorOriginOf(errorClass: string, byApp: boolean): ErrorOrigin {
  switch (errorClass) {
    case 'dropped':
      return 'dropped';
    case 'timeout':
      return 'client-timeout';
    case 'refused':
      return 'refused';
    case 'reset':
      return 'reset';
    case 'content':
    case 'wrong-backend':
      return 'content';
    case 'aborted':
      return 'aborted';
  }
  const status = /^http-(\d{3})$/.exec(errorClass)?.[1];
  if (status === undefined) return 'other';
  const code = Number(status);
  if (!byApp) return code === 502 || code === 503 || code === 504 ? 'nginx-upstream' : 'nginx-other';
  if (code >= 500) return 'app-5xx';
  if (code >= 400) return 'app-4xx';
  return 'app-other';
}

/**
 * Resets while nginx logged that it ran out of connections are nginx's limit, up to as many as it
 * logged; the rest stay resets.
 */
export function withNginxConnectionLimit(origins: Readonly<Record<string, number>>, limitEvents: number): Record<string, number> {
  const resets = origins['reset'] ?? 0;
  const moved = Math.min(resets, limitEvents);
  if (moved === 0) return { ...origins };
  const out: Record<string, number> = { ...origins, 'nginx-connection-limit': (origins['nginx-connection-limit'] ?? 0) + moved };
  if (resets - moved > 0) out['reset'] = resets - moved;
  else delete out['reset'];
  return out;
}
