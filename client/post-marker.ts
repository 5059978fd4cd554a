// The text each user posts: unique per run and user, so the database audit can match rows exactly,
// and mixing scripts and markup characters, so encoding and escaping faults show up as content errors.
import { randomBytes } from 'node:crypto';

export function postMarker(runTag: string, userIndex: number): string {
  return `bl:${runTag}:${userIndex} héllo мир 世界 <b>&"'`;
}

/** A run tag unlikely to repeat: the start time in base 36 and a little randomness. */
export function newRunTag(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
