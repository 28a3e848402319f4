import type { DecodeParams, DecodeResult, FromExtension, FromWebview } from './protocol';

/** A request the server refused (InvalidParams and the like): its code and message. */
export class ServerError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * `vmsd/decodeStream` requests from the webview, through the extension: each gets an id,
 * and the extension's `decoded` answer settles it. Without the DOM (the post function is
 * given), so it can be tested.
 */
export class DecodeRpc {
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (r: DecodeResult) => void; reject: (e: Error) => void }>();

  constructor(private readonly post: (m: FromWebview) => void) {}

  request(params: DecodeParams): Promise<DecodeResult> {
    const id = this.next++;
    return new Promise<DecodeResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post({ kind: 'decode', id, params });
    });
  }

  /** Handles a message from the extension; true when it was an answer. */
  receive(m: FromExtension): boolean {
    if (m.kind !== 'decoded') return false;
    const w = this.waiting.get(m.id);
    if (!w) return true;
    this.waiting.delete(m.id);
    if (m.result) w.resolve(m.result);
    else w.reject(new ServerError(m.error?.code ?? 0, m.error?.message ?? 'no answer'));
    return true;
  }

  get pending(): number {
    return this.waiting.size;
  }
}
