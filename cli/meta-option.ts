// `--meta KEY=VALUE`: facts about the run that only whoever started the client knows (limits, images).
import { optionError } from '../common/errors.js';

const KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_VALUE_CHARS = 200;

export function parseMetaOptions(pairs: readonly string[], option = '--meta'): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const meta: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const key = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? '' : pair.slice(equals + 1);
    if (equals < 0 || !KEY.test(key)) throw optionError(option, `must be KEY=VALUE with a key of letters, digits, '_', '.' or '-' (got "${pair}")`);
    if (value.length > MAX_VALUE_CHARS) throw optionError(option, `${key} has a value longer than ${MAX_VALUE_CHARS} characters`);
    if (key in meta) throw optionError(option, `gives ${key} twice`);
    meta[key] = value;
  }
  return meta;
}
