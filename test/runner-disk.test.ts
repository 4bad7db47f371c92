import { Testing } from 'cdk8s';
import { synth } from './util';
import { AccessMode, Distribution, OsImage, RunnerDisk, VolumeMode } from '../lib';

describe('RunnerDisk', () => {
  test('a DataVolume importing the image into a volume of the given size', () => {
    // GIVEN
    const chart = Testing.chart();
    // WHEN
    const disk = new RunnerDisk(chart, 'golden', { osImage: OsImage.ubuntu2404(), size: '10Gi', name: 'ubuntu-golden', namespace: 'ci' });
    // THEN
    const [dv] = synth(chart);
    expect(dv.apiVersion).toBe('cdi.kubevirt.io/v1beta1');
    expect(dv.kind).toBe('DataVolume');
    expect(dv.metadata).toEqual({ name: 'ubuntu-golden', namespace: 'ci' });
    expect(dv.spec.source.http.url).toBe('https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img');
    expect(dv.spec.storage).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
    expect(disk.name).toBe('ubuntu-golden');
    expect(dv).toMatchSnapshot();
  });

  test('storage class, access modes, volume mode and immediate binding', () => {
    const chart = Testing.chart();
    new RunnerDisk(chart, 'golden', {
      osImage: OsImage.debian12(), size: '20Gi', storageClassName: 'ceph-rbd', accessModes: [AccessMode.READ_WRITE_MANY],
      volumeMode: VolumeMode.BLOCK, bindImmediately: true,
    });
    const [dv] = synth(chart);
    expect(dv.spec.storage).toEqual({
      accessModes: ['ReadWriteMany'], storageClassName: 'ceph-rbd', volumeMode: 'Block', resources: { requests: { storage: '20Gi' } },
    });
    expect(dv.metadata.annotations).toEqual({ 'cdi.kubevirt.io/storage.bind.immediate.requested': 'true' });
  });

  test('defaults: derived DNS name, chart namespace else default', () => {
    const chart = Testing.chart();
    const disk = new RunnerDisk(chart, 'Golden_Image', { osImage: OsImage.blank(), size: '1Gi' });
    expect(disk.name).toMatch(/^[a-z0-9-]+$/);
    expect(disk.namespace).toBe('default');
    expect(synth(chart)[0].spec.source).toEqual({ blank: {} });
  });

  test('a standalone DataVolume cloning a PVC you keep declares it external', () => {
    const chart = Testing.chart();
    new RunnerDisk(chart, 'copy', { osImage: OsImage.pvc('images', 'golden', { distribution: Distribution.UBUNTU }), size: '10Gi', namespace: 'ci' });
    expect(synth(chart)[0].metadata.annotations).toEqual({ 'cdk8s-kubevirt-runners/external-volumes': 'images/golden' });
  });

  test('asImage clones the disk and keeps its distribution and arch', () => {
    const chart = Testing.chart();
    const disk = new RunnerDisk(chart, 'golden', { osImage: OsImage.debian12(), size: '10Gi', name: 'deb', namespace: 'ci' });
    const clone = disk.asImage();
    expect(clone.toDataVolumeSource()).toEqual({ source: { pvc: { namespace: 'ci', name: 'deb' } } });
    expect(clone.distribution).toBe(Distribution.DEBIAN);
  });

  test('a blank disk cannot be a clone source for a runner', () => {
    const chart = Testing.chart();
    const disk = new RunnerDisk(chart, 'data', { osImage: OsImage.blank(), size: '10Gi', name: 'data' });
    expect(() => disk.asImage()).toThrow("RunnerDisk 'data' holds a blank disk");
  });

  test.each([
    [{ size: '16GB' }, "RunnerDisk 'size' must be a positive Kubernetes quantity of bytes such as '16Gi' or '512Mi', got \"16GB\""],
    [{ size: '0' }, "RunnerDisk 'size' must be a positive"],
    [{ name: 'Bad_Name' }, "RunnerDisk 'name' must be a DNS-1123 label"],
    [{ namespace: 'x'.repeat(64) }, "RunnerDisk 'namespace' must be a DNS-1123 label"],
    [{ storageClassName: 'Fast SSD' }, "RunnerDisk 'storageClassName' must be a DNS-1123 subdomain"],
    [{ accessModes: [] }, "RunnerDisk 'accessModes' must be a non-empty list"],
    [{ accessModes: ['RWO'] }, "RunnerDisk 'accessModes' must be a non-empty list"],
    [{ volumeMode: 'block' }, "RunnerDisk 'volumeMode' must be one of Filesystem, Block, got \"block\""],
    [{ osImage: 'ubuntu' }, "RunnerDisk 'osImage' must be an OsImage"],
  ])('rejects %j', (override, message) => {
    const chart = Testing.chart();
    expect(() => new RunnerDisk(chart, 'd', { osImage: OsImage.ubuntu2404(), size: '10Gi', ...(override as any) })).toThrow(message);
  });
});
