import { Naming, propLabel, show } from './naming';

// The stock image that runs the library's in-cluster scripts (the ARC launcher, the token refresher).

export { DEFAULT_NODE_IMAGE } from './versions';

// A container image reference: [registry[:port]/]path[:tag][@sha256:digest].
const IMAGE_REFERENCE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
// Pinned: a tag (other than latest) or a digest at the end.
const PINNED = /(:[^/:@]+|@sha256:[a-f0-9]{64})$/;

/** Checks an image reference that must be pinned (name:tag other than latest, or name@sha256:digest). */
export function validateImageReference(naming: Naming, prop: string, image: string): string {
  if (typeof image !== 'string' || !IMAGE_REFERENCE.test(image) || !PINNED.test(image) || /:latest$/.test(image)) {
    throw new Error(`${propLabel(naming, prop)} must be a pinned image reference (name:tag other than latest, or name@sha256:digest), got ${show(image)}`);
  }
  return image;
}
