import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { expect, it, vi } from 'vitest';
import { MissingPeerError } from '../src/optional-peer.ts';
import { SteadyModule } from '../src/index.ts';

// Pretend @steady/otel is not installed; every other peer is (a file of its own, so no other
// missing peer can fail the bootstrap first).
vi.mock('@steady/otel', () => {
  throw Object.assign(new Error("Cannot find package '@steady/otel'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

it('`otel` without @steady/otel fails the bootstrap naming the packages to install', async () => {
  const error = await Test.createTestingModule({
    imports: [SteadyModule.forRoot({ upstreams: { payments: { origin: 'http://127.0.0.1:1' } }, otel: true })],
  })
    .compile()
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(MissingPeerError);
  expect((error as Error).message).toBe(
    'SteadyModule `otel` needs the optional peer packages "@steady/otel" and "@opentelemetry/api": ' +
      'run `npm install @steady/otel @opentelemetry/api`',
  );
});
