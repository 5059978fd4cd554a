// The classic experiment's published table, kept as data so every summary can print it beside ours.

export interface PublishedUserTimes {
  server: string;
  minSeconds: number;
  maxSeconds: number;
  averageSeconds: number;
  failedUsers: number;
  users: number;
}

export const ORIGINAL_CAVEAT = 'as published by the original experiment; different hardware, for shape not for numbers';

export const ORIGINAL_LOAD = '2000 users: 4 client machines × 500 users started over 10 s; seconds per user';

export const ORIGINAL_RESULTS: readonly PublishedUserTimes[] = [
  { server: 'FastCGI threaded', minSeconds: 0.68, maxSeconds: 84.54, averageSeconds: 14.22, failedUsers: 636, users: 2000 },
  { server: 'FastCGI prefork', minSeconds: 0.67, maxSeconds: 97.27, averageSeconds: 15.5, failedUsers: 553, users: 2000 },
  { server: 'gunicorn (HTTP prefork)', minSeconds: 0.67, maxSeconds: 78.62, averageSeconds: 11.74, failedUsers: 278, users: 2000 },
];
