import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import type { ProxySettings } from '../contract';
import type { Fields } from './config';
import { REQUEST_TIMEOUT_MS } from './http';

// HTTPS through a corporate proxy, with node built-ins only: an https.Agent whose connections are
// CONNECT tunnels through the proxy, TLS to the target inside the tunnel (servername = the target's
// host, so its certificate is checked against the default store + NODE_EXTRA_CA_CERTS).
//
// noProxy: host names (matching the host and its subdomains), .domain suffixes, IP addresses, CIDRs,
// each optionally with :port, or '*'. Always direct: loopback, KUBERNETES_SERVICE_HOST, *.svc and
// *.cluster.local (the Kubernetes API never goes through this agent anyway). Plain http:// targets
// are never proxied (GitHub's API is https).
//
// The proxy's URL is only ever shown as scheme://host:port: its user-info never reaches a log.

const ALWAYS_DIRECT = ['localhost', '127.0.0.1', '::1', '.svc', '.cluster.local'];

/** The `proxy` field of a config object. */
export function readProxySettings(fields: Fields, name: string): ProxySettings | undefined {
  return fields.optionalObject(name, (proxy) => ({
    url: proxy.string('url', { describe: 'an http(s) proxy URL such as http://proxy.corp:3128', check: isProxyUrl }),
    noProxy: proxy.stringList('noProxy', { describe: 'a host, .domain, IP address or CIDR, optionally with :port, or *', pattern: /^\S+$/ }),
  }));
}

function isProxyUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A proxy as the runtime uses it. */
export class Proxy {
  private readonly url: URL;
  private readonly noProxy: string[];

  constructor(settings: ProxySettings, kubernetesHost = process.env.KUBERNETES_SERVICE_HOST) {
    this.url = new URL(settings.url);
    const entries = settings.noProxy.map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
    if (kubernetesHost) entries.push(kubernetesHost.toLowerCase());
    this.noProxy = [...ALWAYS_DIRECT, ...entries];
  }

  /** scheme://host:port, for messages (never its user-info). */
  toString(): string {
    return `${this.url.protocol}//${this.url.host}`;
  }

  /** A tunnel agent for `url`, or false (a fresh direct connection) when it is reached directly. */
  agentFor(url: string, timeoutMs = REQUEST_TIMEOUT_MS): http.Agent | false {
    const target = new URL(url);
    if (target.protocol !== 'https:' || bypasses(this.noProxy, target.hostname, target.port || 443)) return false;
    return new TunnelAgent(this.url, String(this), timeoutMs);
  }

  /** For the log: how `url` is reached. */
  routeOf(url: string): string {
    const target = new URL(url);
    if (target.protocol !== 'https:' || bypasses(this.noProxy, target.hostname, target.port || 443)) return `${target.host} directly`;
    return `${target.host} through the proxy ${this}`;
  }
}

const stripBrackets = (host: string): string => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** Whether `host` (and `port`) are reached directly by the `noProxy` entries. */
export function bypasses(noProxy: readonly string[], host: string, port: string | number): boolean {
  const name = stripBrackets(host.toLowerCase()).replace(/\.$/, '');
  return noProxy.some((raw) => matches(raw, name, port));
}

function matches(raw: string, name: string, port: string | number): boolean {
  if (raw === '*') return true;
  let entry = raw;
  // host:port (not an IPv6 address without brackets): the entry only applies to that port.
  const withPort = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(entry);
  if (withPort) {
    if (Number(withPort[2]) !== Number(port)) return false;
    entry = withPort[1];
  }
  entry = stripBrackets(entry);
  if (entry.includes('/')) return inCidr(entry, name);
  if (net.isIP(entry) || net.isIP(name)) return entry === name;
  const domain = entry.replace(/^\*?\./, '');
  return name === domain || name.endsWith(`.${domain}`);
}

function inCidr(cidr: string, address: string): boolean {
  const [network, prefix] = cidr.split('/');
  const family = net.isIP(network);
  if (family === 0 || net.isIP(address) !== family || !/^[0-9]{1,3}$/.test(prefix)) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new net.BlockList();
  try {
    list.addSubnet(network, Number(prefix), type);
  } catch {
    return false;
  }
  return list.check(address, type);
}

type Callback = (error: Error | null, socket?: Duplex) => void;

/** An https.Agent that tunnels every connection through the proxy with CONNECT. */
class TunnelAgent extends https.Agent {
  constructor(private readonly proxy: URL, private readonly shown: string, private readonly timeoutMs: number) {
    super({ keepAlive: false });
  }

  createConnection(options: tls.ConnectionOptions & { host?: string; hostname?: string; path?: string }, callback: Callback): undefined {
    const host = stripBrackets(options.host || options.hostname || 'localhost');
    const port = Number(options.port) || 443;
    const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const proxy = this.proxy;
    const transport = proxy.protocol === 'https:' ? https : http;
    const connect = transport.request({
      host: stripBrackets(proxy.hostname), port: Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT', path: authority, headers: { Host: authority }, agent: false,
    });
    let done = false;
    const finish: Callback = (error, socket) => {
      if (done) return;
      done = true;
      callback(error, socket);
    };
    connect.setTimeout(this.timeoutMs, () => connect.destroy(Object.assign(
      new Error(`the proxy ${this.shown} did not open a tunnel to ${authority} within ${this.timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
    connect.once('connect', (response: http.IncomingMessage, socket: net.Socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        return finish(new Error(`the proxy ${this.shown} refused CONNECT ${authority}: ${response.statusCode} ${response.statusMessage ?? ''}`.trim()));
      }
      const servername = options.servername || (net.isIP(host) ? undefined : host);
      const { path: _path, ...tlsOptions } = options;
      finish(null, tls.connect({ ...tlsOptions, host, port, socket, servername }));
    });
    connect.once('response', (response: http.IncomingMessage) => {
      response.resume();
      finish(new Error(`the proxy ${this.shown} answered CONNECT ${authority} with ${response.statusCode}, not a tunnel`));
    });
    connect.once('error', (error: NodeJS.ErrnoException) => {
      finish(Object.assign(new Error(`the proxy ${this.shown} cannot be reached: ${error.message}`), { code: error.code }));
    });
    connect.end();
    return undefined;
  }
}
