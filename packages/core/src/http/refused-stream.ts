/**
 * An HTTP/2 stream the server provably did not process: above the last stream id of its
 * GOAWAY (undici fails those with the GOAWAY error when it cannot replay them itself: a stream
 * body, or its one replay used up), or reset with REFUSED_STREAM (RFC 9113 §8.7). Such a
 * request was not sent as far as the server is concerned, and says nothing bad about the
 * server's health: a graceful restart sends exactly that.
 */
export function isRefusedStream(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message !== 'string') return false;
  return message.includes('"GOAWAY" frame received') || message.includes('NGHTTP2_REFUSED_STREAM');
}
