import { test } from 'node:test';
import { arrivalModel } from '../../lab/arrival-options.js';
import { optionFailure } from '../support/option-failure.js';
import assert from 'node:assert/strict';

test('open is the default; closed modes take connections and duration', () => {
  assert.deepEqual(arrivalModel({ users: '5' }, ['closed']), { mode: 'open', closed: undefined });
  assert.deepEqual(arrivalModel({ mode: 'peak', connections: '8', duration: '2s' }, ['closed', 'peak']), {
    mode: 'peak',
    closed: { connections: 8, durationSeconds: 2 },
  });
  assert.deepEqual(arrivalModel({ mode: 'closed' }, ['closed']).closed, { connections: 50, durationSeconds: 10 });
});

test('options of the other model are refused, naming the option', () => {
  optionFailure(() => arrivalModel({ stages: '1s:5', ramp: '3' }, ['closed']), /^option --stages sets the arrivals itself/);
  optionFailure(() => arrivalModel({ duration: '3' }, ['closed', 'peak']), /^option --duration applies to --mode closed or peak$/);
  optionFailure(() => arrivalModel({ mode: 'closed', maxActive: '4' }, ['closed']), /^option --max-active does not apply to --mode closed/);
  optionFailure(() => arrivalModel({ mode: 'peak' }, ['closed']), /^option --mode must be one of open, closed/);
});
