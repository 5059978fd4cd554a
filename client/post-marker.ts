// The text each user posts: unique per run and user, so the database audit can match rows exactly,
// and mixing scripts and markup characters, so encoding and escaping faults show up as content errors.
export function postMarker(runTag: string, userIndex: number): string {
  return `bl:${runTag}:${userIndex} héllo мир 世界 <b>&"'`;
}

/**
 * A run tag unlikely to repeat: the start time in base 36 and six random hex digits.
 * Math.random (seeded by V8 from the system's entropy) is random enough for that, and spares
 * every client process node:crypto, about 1 MB of its peak memory.
 */
export function newRunTag(): string {
  return `${Date.now().toString(36)}-${Math.floor(Math.random() * 0x1000000).toString(16).padStart(6, '0')}`;
}
