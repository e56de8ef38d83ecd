import { describe, expect, it } from 'vitest';
import { duration, flagOf, parseCommand, UsageError } from './args.ts';

describe('parseCommand', () => {
  it('parses every flag into probe options', () => {
    const command = parseCommand([
      'probe',
      'https://api.example.com',
      '--path',
      '/health',
      '--method',
      'get',
      '--max-idle',
      '2m',
      '--ladder',
      '0.2, 500ms,1s',
      '--max-requests',
      '50',
      '--samples',
      '2',
      '--connect-timeout',
      '1.5s',
      '--response-timeout',
      '800ms',
      '--proxy',
      'http://proxy:3128',
      '--json',
      '--no-color',
    ]);
    expect(command).toEqual({
      kind: 'probe',
      json: true,
      color: false,
      options: {
        origin: 'https://api.example.com',
        path: '/health',
        method: 'GET',
        maxIdle: 120_000,
        ladder: [200, 500, 1_000],
        maxRequests: 50,
        samples: 2,
        connectTimeout: 1_500,
        responseTimeout: 800,
        proxy: 'http://proxy:3128',
      },
    });
  });

  it('help and version', () => {
    expect(parseCommand(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommand(['-h'])).toEqual({ kind: 'help' });
    expect(parseCommand(['-v'])).toEqual({ kind: 'version' });
  });

  it.each([
    [[], 'missing command'],
    [['ping', 'http://x'], 'unknown command "ping"'],
    [['probe'], 'missing <origin>'],
    [['probe', 'http://x', 'http://y'], 'unexpected argument'],
    [['probe', 'http://x', '--bogus'], "Unknown option '--bogus'"],
    [['probe', 'http://x', '--method', 'POST'], '--method takes GET or HEAD (received "POST")'],
    [['probe', 'http://x', '--max-idle', '10h'], '--max-idle takes a duration'],
    [['probe', 'http://x', '--ladder', '1,,2'], '--ladder takes a duration'],
    [['probe', 'http://x', '--max-requests', '1.5'], '--max-requests takes a whole number (received "1.5")'],
    [['probe', 'http://x', '--ca', '/nonexistent/ca.pem'], '--ca: cannot read "/nonexistent/ca.pem" (ENOENT)'],
  ])('%j is a usage error', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });

  it('never echoes the credentials of a stray URL argument', () => {
    expect(() => parseCommand(['probe', 'http://x', 'http://u:topsecret@y'])).toThrow(/\*\*\*@y/);
    expect(() => parseCommand(['probe', 'http://x', 'http://u:topsecret@y'])).not.toThrow(/topsecret/);
  });
});

describe('duration', () => {
  it('takes ms, s, m and bare seconds', () => {
    expect(duration('--x', '250ms')).toBe(250);
    expect(duration('--x', '1.5s')).toBe(1_500);
    expect(duration('--x', '2m')).toBe(120_000);
    expect(duration('--x', '130')).toBe(130_000);
    expect(duration('--x', '0.2')).toBe(200);
  });
});

describe('flagOf', () => {
  it('maps option paths to flags', () => {
    expect(flagOf('maxIdle')).toBe('--max-idle');
    expect(flagOf('ladder[3]')).toBe('--ladder');
    expect(flagOf('origin')).toBe('<origin>');
  });
});
