import { EventRecorder } from '../../../lib/cluster/launcher/kube-event';
import { KubeStatusError } from '../../../lib/cluster/runtime/errors';
import type { KubeClient } from '../../../lib/cluster/runtime/kube';
import { Logger } from '../../../lib/cluster/runtime/log';

// The one Event recorder (lib/cluster/launcher/kube-event.ts) with a client that answers as told:
// what it sends (one at a time, in order, redacted, cut to the API server's 1 KiB), and that nothing
// it meets (a refusal, a server that never answers) fails or holds up the run.

const POD = { apiVersion: 'v1', kind: 'Pod', namespace: 'ci', name: 'runner-x7k2p', uid: '0b8c2a52-5f3c-4f8e-9d43-1a2b3c4d5e6f' };

function recorder(create: (body: any) => Promise<unknown>) {
  const lines: string[] = [];
  const log = new Logger('test', (t) => lines.push(t), (t) => lines.push(t));
  const sent: any[] = [];
  const kube = { create: (_resource: unknown, _namespace: string, body: any) => (sent.push(body), create(body)) } as unknown as KubeClient;
  return { events: new EventRecorder(kube, log, { component: 'arc-launcher', instance: POD.name }), log, lines, sent };
}

describe('EventRecorder', () => {
  test('sends one Event at a time, in order, with the message redacted and cut to 1 KiB on a character boundary', async () => {
    let inFlight = 0;
    let most = 0;
    const { events, log, sent } = recorder(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
    });
    const secret = log.secret('ghs_0123456789abcdef');
    events.record(POD, 'Normal', 'VmiCreated', `created with ${secret}`);
    events.record(POD, 'Warning', 'JobFailed', 'é'.repeat(600));
    await events.flush();
    expect(most).toBe(1);
    expect(sent.map((e) => e.reason)).toEqual(['VmiCreated', 'JobFailed']);
    expect(sent[0].message).toBe('created with [redacted]');
    expect(Buffer.byteLength(sent[1].message)).toBeLessThanOrEqual(1024);
    expect(sent[1].message.endsWith('é...')).toBe(true);
  });

  test('a 403 is one warning line, and no later Event is tried', async () => {
    const { events, lines, sent } = recorder(() => Promise.reject(new KubeStatusError('create Event ci/x', 403, 'Forbidden', 'events is forbidden')));
    events.record(POD, 'Normal', 'VmiCreated', 'a');
    events.record(POD, 'Normal', 'VmiRunning', 'b');
    await events.flush();
    expect(sent).toHaveLength(1);
    expect(lines).toEqual([expect.stringMatching(/^test: .*: the Role needs create on events; no Event VmiCreated on Pod ci\/runner-x7k2p, nor any later Event of this run\n$/)]);
  });

  test('an API server that never answers does not hold the end of the run past the limit', async () => {
    const { events, lines } = recorder(() => new Promise(() => undefined));
    events.record(POD, 'Normal', 'JobFinished', 'done');
    const started = Date.now();
    await events.flush(50);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines).toEqual(['test: gave up waiting for the API server to record this run\'s last Events after 0.1s\n']);
  });
});
