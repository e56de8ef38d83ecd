import { describe, expect, it } from 'vitest';
import { DEFAULT_BODY } from '@steady/fault-server';
import { affinityMask, findNginx, nginxConfig, NGINX_STATUS_PATH, parseNginxStatus, startNginx } from './nginx.ts';

const body = DEFAULT_BODY.toString('utf8');

describe('nginx config', () => {
  it('pins one worker, keeps the pid, log and temp paths in its dir, and never daemonizes', () => {
    const conf = nginxConfig({ dir: '/tmp/x', port: 8123, cpu: 0, body });
    expect(conf).toMatch(/^daemon off;$/m);
    expect(conf).toMatch(/^worker_processes 1;$/m);
    expect(conf).toMatch(/^worker_cpu_affinity 1;$/m);
    expect(conf).toMatch(/^pid \/tmp\/x\/nginx\.pid;$/m);
    expect(conf).toMatch(/^error_log \/tmp\/x\/error\.log warn;$/m);
    expect(conf).toMatch(/access_log off;/);
    expect(conf).toMatch(/keepalive_requests 1000000;/);
    expect(conf).toContain('listen 127.0.0.1:8123 ');
    expect(conf).toContain(`location = ${NGINX_STATUS_PATH} { stub_status; }`);
    expect(conf).toContain(`return 200 '${body}';`);
    for (const name of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
      expect(conf).toContain(`${name}_temp_path /tmp/x/${name}_temp;`);
  });

  it('leaves the worker unpinned when no CPU is given, and maps CPUs to masks', () => {
    expect(nginxConfig({ dir: '/d', port: 1, cpu: undefined, body })).not.toContain('worker_cpu_affinity');
    expect(affinityMask(0)).toBe('1');
    expect(affinityMask(1)).toBe('10');
    expect(affinityMask(3)).toBe('1000');
  });

  it('refuses a body that would break out of the return string', () => {
    for (const bad of ["it's", 'a\\b', '$host'])
      expect(() => nginxConfig({ dir: '/d', port: 1, cpu: 0, body: bad })).toThrow(/must not contain/);
  });

  it('parses stub_status and rejects anything else', () => {
    const page =
      'Active connections: 12 \nserver accepts handled requests\n 345 345 67890 \nReading: 0 Writing: 1 Waiting: 11 \n';
    expect(parseNginxStatus(page)).toEqual({ active: 12, accepts: 345, requests: 67890 });
    expect(() => parseNginxStatus('<html>404</html>')).toThrow(/not a stub_status page/);
  });
});

const nginx = findNginx();

describe.runIf(nginx !== undefined)('our nginx (installed here)', () => {
  it('serves the 1 KiB JSON on any path with keep-alive, counts in stub_status, and stops by its own pid', async () => {
    const server = await startNginx(nginx!, undefined);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const before = await server.status();
      const response = await fetch(`${server.url}/data`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe(body);
      const after = await server.status();
      expect(after.requests - before.requests).toBe(2); // the GET and this status read
      process.kill(server.pid, 0); // alive
    } finally {
      await server.stop();
    }
    expect(() => process.kill(server.pid, 0)).toThrow();
  });
});
