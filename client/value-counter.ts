// Counts header values (X-Backend, X-Worker) by their bytes: a string is made once per distinct
// value, not once per response. A run sees a handful of distinct values, so a linear scan is enough;
// past MAX_SCANNED values (a target that numbers its answers) the rest are counted by string.

const MAX_SCANNED = 64;

export class ValueCounter {
  private readonly values: Buffer[] = [];
  private readonly names: string[] = [];
  private readonly counts: number[] = [];
  private readonly overflow = new Map<string, number>();

  count(buffer: Buffer, start: number, end: number): void {
    const { values } = this;
    for (let i = 0; i < values.length; i++) {
      if (sameBytes(values[i]!, buffer, start, end)) {
        this.counts[i]!++;
        return;
      }
    }
    const name = buffer.toString('latin1', start, end);
    if (values.length === MAX_SCANNED) {
      this.overflow.set(name, (this.overflow.get(name) ?? 0) + 1);
      return;
    }
    values.push(Buffer.from(buffer.subarray(start, end)));
    this.names.push(name);
    this.counts.push(1);
  }

  /** Value -> count, in the order the values were first seen. */
  toMap(): Map<string, number> {
    const map = new Map<string, number>();
    for (let i = 0; i < this.names.length; i++) map.set(this.names[i]!, this.counts[i]!);
    for (const [name, count] of this.overflow) map.set(name, count);
    return map;
  }
}

/** Byte equality in a JS loop: values are a few bytes, shorter than a native call's overhead. */
export function sameBytes(value: Buffer, buffer: Buffer, start: number, end: number): boolean {
  const length = value.length;
  if (end - start !== length) return false;
  for (let i = 0; i < length; i++) {
    if (value[i] !== buffer[start + i]) return false;
  }
  return true;
}
