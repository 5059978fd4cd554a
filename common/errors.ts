// Every error the lab reports to a person: a stable code, one clear line, an exit code.
// The CLI prints `benchlab: <message>` and exits with `exitCode`; nothing else reaches the user.

export type ErrorCode =
  | 'BL_ERR_USAGE'
  | 'BL_ERR_OPTION'
  | 'BL_ERR_UNKNOWN_VARIANT'
  | 'BL_ERR_PORT_BUSY'
  | 'BL_ERR_MISSING_TOOL'
  | 'BL_ERR_DATABASE'
  | 'BL_ERR_START'
  | 'BL_ERR_TARGET'
  | 'BL_ERR_CHECK'
  | 'BL_ERR_INTERRUPTED';

export class LabError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, exitCode = 2) {
    super(message);
    this.name = 'LabError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export const optionError = (option: string, why: string): LabError => new LabError('BL_ERR_OPTION', `option ${option} ${why}`);
