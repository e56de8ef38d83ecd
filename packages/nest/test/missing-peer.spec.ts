import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it, vi } from 'vitest';
import { importOptionalPeer, MissingPeerError } from '../src/optional-peer.ts';
import {
  getAxiosToken,
  getKyToken,
  InjectAxios,
  MissingPeerError as ExportedMissingPeerError,
  SteadyModule,
} from '../src/index.ts';

// Pretend @steady/axios (or axios under it) is not installed.
vi.mock('@steady/axios', () => {
  throw Object.assign(new Error("Cannot find package 'axios'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

const origin = 'http://127.0.0.1:1';

describe('optional peers', () => {
  it('importOptionalPeer turns "module not found" into an error naming what to install', async () => {
    const error = await importOptionalPeer('@steady/definitely-not-installed', '@InjectKy("x")', [
      '@steady/ky',
      'ky',
    ]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingPeerError);
    expect(error).toMatchObject({ code: 'STEADY_MISSING_PEER', packages: ['@steady/ky', 'ky'] });
    expect((error as Error).message).toBe(
      '@InjectKy("x") needs the optional peer packages "@steady/ky" and "ky": run `npm install @steady/ky ky`',
    );
    expect(ExportedMissingPeerError).toBe(MissingPeerError);
  });

  it('importOptionalPeer rethrows other failures unchanged', async () => {
    const boom = new Error('boom');
    await expect(importOptionalPeer('x', 'f', ['x'], () => Promise.reject(boom))).rejects.toBe(boom);
  });

  it('@InjectAxios without @steady/axios fails the bootstrap naming the packages to install', async () => {
    @Injectable()
    class UsesAxios {
      readonly http: unknown;
      constructor(@InjectAxios('payments') http: unknown) {
        this.http = http;
      }
    }
    const error = await Test.createTestingModule({
      imports: [SteadyModule.forRoot({ upstreams: { payments: { origin } } })],
      providers: [UsesAxios],
    })
      .compile()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MissingPeerError);
    expect((error as Error).message).toContain('npm install @steady/axios axios');
    expect((error as Error).message).toContain('@InjectAxios("payments")');
  });

  it('an app that never asks for axios boots without it; using the client anyway throws that error', async () => {
    const ref = await Test.createTestingModule({
      imports: [SteadyModule.forRoot({ upstreams: { unused: { origin } } })],
    }).compile();
    // ky is installed: its client is real.
    expect(typeof ref.get<{ get: unknown }>(getKyToken('unused')).get).toBe('function');
    const http = ref.get<{ get(path: string): unknown }>(getAxiosToken('unused'));
    expect(() => http.get('/x')).toThrow(MissingPeerError);
    expect(() => (http as unknown as () => void)()).toThrow(/npm install @steady\/axios axios/);
    await ref.close();
  });
});
