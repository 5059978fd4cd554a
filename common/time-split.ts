import type { StepName } from './result.js';

// Where a step's time goes, from nginx's access log: $upstream_response_time is the backend's part,
// $request_time minus it is nginx's own (buffering, the upstream connection), and what the client
// saw beyond $request_time is the network and the client itself.

export interface StepTimeSplit {
  requests: number;
  /** nginx's $request_time. */
  nginxP50Ms: number;
  nginxP99Ms: number;
  /** $upstream_response_time: the app server and the database. */
  backendP50Ms: number;
  backendP99Ms: number;
  /** $request_time − $upstream_response_time per request. */
  proxyP50Ms: number;
  proxyP99Ms: number;
}

export type TimeSplit = Partial<Record<StepName, StepTimeSplit>>;
