import { describe, expect, it } from 'vitest';
import { createUpstream, isInvalidOptionError } from '../index.ts';
import { resolveTlsOptions } from './tls-options.ts';

const PRIVATE_KEY =
  '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';

function refusal(tls: unknown) {
  try {
    createUpstream({ origin: 'https://127.0.0.1:1', pool: { tls: tls as never } });
  } catch (error) {
    if (isInvalidOptionError(error)) return error;
    throw error;
  }
  throw new Error('expected STEADY_INVALID_OPTION');
}

describe('pool.tls validation', () => {
  it('accepts the connect options users need', () => {
    const checkServerIdentity = () => undefined;
    const tls = resolveTlsOptions(
      {
        ca: [PRIVATE_KEY, Buffer.from('x')],
        cert: 'pem',
        key: [{ pem: 'pem', passphrase: 'p' }],
        pfx: Buffer.from('pfx'),
        passphrase: 'p',
        servername: 'api.internal',
        rejectUnauthorized: true,
        checkServerIdentity,
        minVersion: 'TLSv1.2',
        maxVersion: 'TLSv1.3',
        ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
        ecdhCurve: 'auto',
        sigalgs: 'RSA-PSS+SHA256',
        session: Buffer.from('s'),
        crl: 'pem',
      },
      'pool.tls',
    );
    expect(tls).toMatchObject({ servername: 'api.internal', checkServerIdentity });
    expect(Object.isFrozen(tls)).toBe(true);
    expect(resolveTlsOptions(undefined, 'pool.tls')).toBeUndefined();
  });

  it.each([
    [{ rejectUnautorized: false }, 'pool.tls.rejectUnautorized', 'a known option'],
    [{ rejectUnauthorized: 'false' }, 'pool.tls.rejectUnauthorized', 'a boolean'],
    [{ minVersion: 'TLSv1.4' }, 'pool.tls.minVersion', 'one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3'],
    [{ maxVersion: 3 }, 'pool.tls.maxVersion', 'one of'],
    [{ ca: 42 }, 'pool.tls.ca', 'a PEM string'],
    [{ ca: [] }, 'pool.tls.ca', 'a PEM string'],
    [{ key: { pem: 1 } }, 'pool.tls.key', '{ pem, passphrase? }'],
    [{ servername: '' }, 'pool.tls.servername', 'a non-empty host name'],
    [{ checkServerIdentity: true }, 'pool.tls.checkServerIdentity', 'a function'],
    [{ session: 'abc' }, 'pool.tls.session', 'a Buffer'],
    [{ ALPNProtocols: ['h2'] }, 'pool.tls.ALPNProtocols', '`pool.http2`'],
    ['insecure', 'pool.tls', 'an object'],
  ])('%j → STEADY_INVALID_OPTION naming %s', (tls, option, expected) => {
    const error = refusal(tls);
    expect(error.option).toBe(option);
    expect(error.message).toContain(expected);
  });

  it('never echoes key material: a mistyped `key` holding a private key is described by its shape', () => {
    for (const tls of [{ keys: PRIVATE_KEY }, { passphrase: 42 }, { key: { pem: PRIVATE_KEY, passphrase: 7 } }]) {
      const error = refusal(tls);
      expect(error.message).not.toContain('PRIVATE KEY');
      expect(JSON.stringify(error.received)).not.toContain('PRIVATE KEY');
    }
    expect(refusal({ keys: PRIVATE_KEY }).message).toContain(`a string of ${PRIVATE_KEY.length} characters`);
  });
});
