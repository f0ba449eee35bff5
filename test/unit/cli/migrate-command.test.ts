/** `xsite migrate`: the formatting functions, and the command against a real API (ephemeral port) with a fake service. */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { buildProgram } from '../../../src/cli/main';
import {
  formatAccepted,
  formatBytes,
  formatDuration,
  formatProgressLine,
  formatStateLine,
  formatSummary,
  runMigrateCommand,
  SseParser,
  type MigrateOutput,
} from '../../../src/cli/migrate-command';
import type { MigrationRecord } from '../../../src/model/migration';
import { ACME_T, OP, setupMigrations, type MigrationHarness } from '../api/fake-migration-service';

const GiB = 1024 ** 3;

const base: MigrationRecord = {
  id: 'm7',
  vm: 'web1',
  tenant: 'acme',
  fromHost: 'h1',
  toHost: 'h3',
  fromDc: 'dc1',
  toDc: 'dc2',
  toSwitch: 'dc2-h3-vs',
  toPort: 4,
  state: 'migration',
  createdAt: 1000,
  updatedAt: 1000,
  phases: { preMigration: { startedAt: 1000, endedAt: 1012 }, migration: { startedAt: 1012 } },
  progress: {
    phase: 'precopy',
    round: 2,
    bytesCopied: 3 * GiB,
    bytesTotal: 4 * GiB,
    remainingBytes: GiB,
    dirtyBytesPerSec: 50 * 1024 ** 2,
    copyBytesPerSec: GiB,
    elapsedMs: 3000,
    estimatedRemainingMs: 1500,
  },
};

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function capture(extra: Partial<MigrateOutput> = {}) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), ...extra } as MigrateOutput };
}

describe('migrate formatting', () => {
  test('bytes and durations', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(50 * 1024 ** 2), '50.0 MiB');
    assert.equal(formatBytes(4 * GiB), '4.0 GiB');
    assert.equal(formatDuration(850), '850 ms');
    assert.equal(formatDuration(2.25), '2.3 ms');
    assert.equal(formatDuration(4200), '4.2 s');
    assert.equal(formatDuration(125_000), '2 min 05 s');
  });

  test('progress line: plain and with a bar', () => {
    assert.equal(formatProgressLine(base), 'web1 migration: precopy round 2, 3.0 GiB copied (memory 4.0 GiB), dirty 50.0 MiB/s, 1.5 s left (75%)');
    assert.equal(
      formatProgressLine(base, { bar: true, barWidth: 8 }),
      'web1 [######..]  75% migration precopy round 2, 3.0 GiB copied (memory 4.0 GiB), dirty 50.0 MiB/s, 1.5 s left',
    );
    const { estimatedRemainingMs: _, ...noEta } = base.progress!;
    assert.doesNotMatch(formatProgressLine({ ...base, progress: noEta }), /left/);
    assert.equal(formatProgressLine({ ...base, progress: undefined! }), 'web1: migration');
    const over = { ...base, progress: { ...base.progress!, bytesCopied: 5 * GiB } };
    assert.match(formatProgressLine(over, { bar: true, barWidth: 5 }), /\[#####\] 100%/);
  });

  test('state line, accepted line', () => {
    assert.equal(formatStateLine(base), 'web1: migration');
    assert.equal(formatStateLine({ ...base, state: 'rolled-back', error: { code: 'X_FAILED', message: 'broke' } }), 'web1: rolled-back [X_FAILED] broke');
    assert.equal(formatAccepted({ ...base, state: 'requested' }), 'migration m7 accepted: web1 (acme) h1 (dc1) -> h3 (dc2), state requested\n');
  });

  test('summary of a completed and of a rolled-back migration', () => {
    const done: MigrationRecord = {
      ...base,
      state: 'completed',
      phases: { preMigration: { startedAt: 1000, endedAt: 1012 }, migration: { startedAt: 1012, endedAt: 5212 }, postMigration: { startedAt: 5212, endedAt: 5220.5 } },
      result: { totalMs: 4200.04, hypervisorDowntimeMs: 12.26, switchoverMs: 3.5, bytesCopied: 4 * GiB, rounds: 3, flowMods: 14, framesHeld: 2 },
      nat: { allocated: 2, released: 2 },
    };
    assert.equal(
      formatSummary(done),
      [
        'migration m7: completed (now on h3)',
        '  web1 (acme): h1 (dc1) -> h3 (dc2), port dc2-h3-vs:4',
        '  phases: pre-migration 12 ms, migration 4200 ms, post-migration 8.5 ms',
        '  total 4200 ms, downtime 12.3 ms, switchover 3.5 ms',
        '  copied 4.0 GiB in 3 rounds',
        '  flow mods 14, frames held 2',
        '  NAT tuples: allocated 2, released 2',
        '',
      ].join('\n'),
    );
    const back = formatSummary({ ...base, state: 'rolled-back', nat: { allocated: 1, released: 1 }, error: { code: 'MIGRATION_COPY_FAILED', message: 'the copy stream broke' } });
    assert.match(back, /^migration m7: rolled-back \(still on h1\)\n/);
    assert.match(back, /phases: pre-migration 12 ms, migration not ended\n/);
    assert.match(back, /NAT tuples: allocated 1, released 1\n/);
    assert.match(back, /error \[MIGRATION_COPY_FAILED\]: the copy stream broke\n$/);
    assert.doesNotMatch(back, /downtime/);
  });

  test('SSE parser: events split across chunks, comments, CRLF', () => {
    const p = new SseParser();
    assert.deepEqual(p.push('event: state\nda'), []);
    assert.deepEqual(p.push('ta: {"a":1}\n'), []);
    assert.deepEqual(p.push('\n: keep-alive\n\nevent: progress\r\ndata: x\r\ndata: y\r\n\r\n'), [
      { event: 'state', data: '{"a":1}' },
      { event: 'progress', data: 'x\ny' },
    ]);
    assert.deepEqual(p.push('data: z\n\n'), [{ event: 'message', data: 'z' }]);
  });

  test('xsite migrate is registered with its options', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'migrate');
    assert.ok(cmd, 'migrate command');
    assert.deepEqual(cmd.options.map((o) => o.long).sort(), ['--api', '--json', '--no-wait', '--to', '--token']);
  });
});

describe('xsite migrate against a running API', () => {
  let h: MigrationHarness;
  let api: string;
  before(async () => {
    h = await setupMigrations({ stepMs: 20 });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    api = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  after(() => h.close());

  /** Runs the command for VM `slow` (its migration waits in the copy): lets it go on once the command follows it. */
  async function runSlow(o: { to: string; token: string; json?: boolean }, io: MigrateOutput): Promise<number> {
    const run = runMigrateCommand({ vm: 'slow', api, ...o }, io);
    let id = '';
    await until(() => {
      id = [...h.fake.records.values()].find((r) => r.vm === 'slow' && r.toHost === o.to && r.state === 'migration')?.id ?? '';
      return id !== '' && h.fake.isHanging(id) && h.fake.listenerCount('state') > 0;
    }, 'the command to follow the migration');
    h.fake.release(id);
    return run;
  }

  test('completed: exit 0, plain progress lines on stderr, the summary on stdout', async () => {
    const c = capture({ isTTY: false });
    assert.equal(await runSlow({ to: 'h3', token: OP }, c.io), 0, c.out.stderr);
    assert.match(c.out.stdout, /^migration m\d+: completed \(now on h3\)\n/);
    assert.match(c.out.stdout, /total 4200\.5 ms, downtime 12\.3 ms, switchover 3\.5 ms\n/);
    assert.match(c.out.stdout, /flow mods 14, frames held 2\n/);
    assert.match(c.out.stdout, /NAT tuples: allocated 2, released 2\n/);
    assert.match(c.out.stderr, /^migration m\d+: slow h2 \(dc1\) -> h3 \(dc2\)\n/);
    assert.match(
      c.out.stderr,
      /slow: migration\n(slow migration: precopy round \d[^\n]*\n)*slow migration: paused round 3, 4\.0 GiB copied \(memory 4\.0 GiB\), dirty 50\.0 MiB\/s, 0 ms left \(100%\)\nslow: switchover\nslow: post-migration\nslow: completed\n$/,
    );
    assert.doesNotMatch(c.out.stderr, /\r/);
    assert.equal(h.fake.listenerCount('state'), 0);
  });

  test('--json on a terminal: a progress bar on stderr, the final record as JSON on stdout', async () => {
    const c = capture({ isTTY: true, columns: 200 });
    assert.equal(await runSlow({ to: 'h1', token: ACME_T, json: true }, c.io), 0, c.out.stderr);
    const rec = JSON.parse(c.out.stdout) as MigrationRecord;
    assert.equal(rec.state, 'completed');
    assert.equal(rec.toHost, 'h1');
    assert.equal(rec.result?.flowMods, 14);
    assert.match(c.out.stderr, /\rslow \[#{20}\] 100% migration paused round 3, [^\n]*\x1b\[K\r\x1b\[Kslow: switchover\n/);
    assert.ok(c.out.stderr.endsWith('slow: completed\n'));
  });

  test('a plain run from the request on: exit 0 and the summary', async () => {
    const c = capture();
    assert.equal(await runMigrateCommand({ vm: 'web1', to: 'h3', api, token: OP }, c.io), 0, c.out.stderr);
    assert.match(c.out.stdout, /^migration m\d+: completed \(now on h3\)\n/);
    assert.match(c.out.stderr, /web1: completed\n$/);
  });

  test('rolled back or failed: exit 1 with the error in the summary', async () => {
    const a = capture();
    assert.equal(await runMigrateCommand({ vm: 'web2', to: 'h3', api, token: OP }, a.io), 1, a.out.stderr);
    assert.match(a.out.stdout, /rolled-back \(still on h1\)/);
    assert.match(a.out.stdout, /error \[MIGRATION_COPY_FAILED\]/);
    const b = capture();
    assert.equal(await runMigrateCommand({ vm: 'web3', to: 'h3', api, token: OP, json: true }, b.io), 1, b.out.stderr);
    const rec = JSON.parse(b.out.stdout) as MigrationRecord;
    assert.equal(rec.state, 'failed');
    assert.equal(rec.error?.code, 'CHANNEL_TIMEOUT');
  });

  test('request errors: exit 2 with the API error code', async () => {
    const cases: Array<[{ vm: string; to: string; token: string }, RegExp]> = [
      [{ vm: 'db1', to: 'h2', token: OP }, /HTTP 409 \[MIGRATION_SAME_HOST\]/],
      [{ vm: 'db1', to: 'full', token: OP }, /HTTP 409 \[MIGRATION_NO_CAPACITY\]/],
      [{ vm: 'nope', to: 'h3', token: OP }, /HTTP 404 \[VM_NOT_FOUND\]/],
      [{ vm: 'db1', to: 'h3', token: ACME_T }, /HTTP 403 \[FORBIDDEN\]/],
      [{ vm: 'db1', to: 'h3', token: 'wrong' }, /HTTP 401 \[UNAUTHORIZED\]/],
    ];
    for (const [o, re] of cases) {
      const c = capture();
      assert.equal(await runMigrateCommand({ ...o, api }, c.io), 2, JSON.stringify(o));
      assert.match(c.out.stderr, re);
      assert.equal(c.out.stdout, '');
    }
    const down = capture();
    assert.equal(await runMigrateCommand({ vm: 'db1', to: 'h3', api: 'http://127.0.0.1:1', token: OP }, down.io), 2);
    assert.match(down.out.stderr, /cannot reach http:\/\/127\.0\.0\.1:1/);
    const bad = capture();
    assert.equal(await runMigrateCommand({ vm: 'db1', to: 'h3', api: 'not a url', token: OP }, bad.io), 2);
    assert.match(bad.out.stderr, /bad --api URL/);
  });

  test('--no-wait: prints the accepted record and exits 0', async () => {
    const a = capture();
    assert.equal(await runMigrateCommand({ vm: 'db1', to: 'h3', api, token: OP, wait: false }, a.io), 0, a.out.stderr);
    assert.match(a.out.stdout, /^migration m\d+ accepted: db1 \(globex\) h2 \(dc1\) -> h3 \(dc2\), state requested\n$/);
    const id = /migration (m\d+)/.exec(a.out.stdout)![1]!;
    assert.equal((await h.fake.wait(id)).state, 'completed');

    const b = capture();
    assert.equal(await runMigrateCommand({ vm: 'db1', to: 'h1', api, token: OP, wait: false, json: true }, b.io), 0, b.out.stderr);
    const rec = JSON.parse(b.out.stdout) as MigrationRecord;
    assert.equal(rec.state, 'requested');
    assert.equal(rec.toHost, 'h1');
    await h.fake.wait(rec.id);
  });
});
