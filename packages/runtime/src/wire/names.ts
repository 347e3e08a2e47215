// Syntax of node ids and actor paths. ASCII only, so a length in characters is a length in
// bytes and every implementation agrees on what is valid.

// Each name or segment starts with a letter, digit or underscore, so `.` and `..` never
// appear as segments and paths cannot be mistaken for relative file paths in logs or tools.
const nodeIdPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*$/;
const actorPathPattern = /^[A-Za-z0-9_][A-Za-z0-9_.:@-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.:@-]*)*$/;

export function isValidNodeId(value: unknown, bytesMax: number): value is string {
  return typeof value === 'string' && value.length <= bytesMax && nodeIdPattern.test(value);
}

export function isValidActorPath(value: unknown, bytesMax: number): value is string {
  return typeof value === 'string' && value.length <= bytesMax && actorPathPattern.test(value);
}

/** A single path segment (an actor's own name, without its parent). */
export function isValidActorName(value: unknown, bytesMax: number): value is string {
  return isValidNodeId(value, bytesMax);
}
