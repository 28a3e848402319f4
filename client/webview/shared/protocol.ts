/**
 * Messages between the extension and its webviews (posted with postMessage). Each panel
 * defines its own `kind`s; what they share is the envelope, so both sides can log and
 * ignore what they do not know.
 */
export interface Message {
  kind: string;
  [key: string]: unknown;
}
