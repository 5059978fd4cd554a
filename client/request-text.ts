// The scenario's three requests as HTTP/1.1 text, built once per user (or once per run for the
// cookie-less GET) and written in one piece. Every part is ASCII: paths and hosts come from a parsed
// URL, the cookie and token are latin1 as read, and the form body is percent-encoded.

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export interface RequestTarget {
  /** The request-target, e.g. "/". */
  path: string;
  /** The Host header's value, e.g. "127.0.0.1:8080". */
  host: string;
}

export function getRequest(target: RequestTarget, cookie: string | undefined): string {
  const cookieLine = cookie === undefined ? '' : `cookie: csrftoken=${cookie}\r\n`;
  return `GET ${target.path} HTTP/1.1\r\nhost: ${target.host}\r\nconnection: keep-alive\r\n${cookieLine}\r\n`;
}

/** The form POST of the user's text with the page's token; `cookie` is the csrftoken the page set. */
export function postRequest(target: RequestTarget, cookie: string | undefined, text: string, token: string): string {
  const body = `body=${encodeURIComponent(text)}&csrf=${encodeURIComponent(token)}`;
  const cookieLine = cookie === undefined ? '' : `cookie: csrftoken=${cookie}\r\n`;
  return (
    `POST ${target.path} HTTP/1.1\r\nhost: ${target.host}\r\nconnection: keep-alive\r\n` +
    `content-type: ${FORM_CONTENT_TYPE}\r\n${cookieLine}content-length: ${body.length}\r\n\r\n${body}`
  );
}
