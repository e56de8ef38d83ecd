/**
 * Which error codes mean the upstream broke HTTP (as opposed to the network, a deadline or
 * the caller): shared by the error mapping of `request()` and by `decodeBody`.
 */

/** What a parser or decoder error code says about the response, or undefined for any other code. */
export function protocolFailure(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  // llhttp's codes (`HPE_INVALID_CHUNK_SIZE`, `HPE_INVALID_STATUS`, …).
  if (code.startsWith('HPE_')) return 'the upstream sent malformed HTTP';
  // zlib's (`Z_DATA_ERROR`, `Z_BUF_ERROR`), brotli's (`ERR__ERROR_FORMAT_…`, `ERR_BROTLI_…`) and zstd's (`ZSTD_error_…`).
  if (
    code.startsWith('Z_') ||
    code.startsWith('ERR__ERROR_') ||
    code.startsWith('ERR_BROTLI') ||
    code.startsWith('ZSTD_')
  ) {
    return 'the upstream sent a corrupt compressed body';
  }
  return undefined;
}
