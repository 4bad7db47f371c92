// HTTPS through a corporate proxy for launcher.cjs (the TypeScript runtime has its own: runtime/proxy.ts),
// with Node.js built-ins only: an https.Agent whose connections are CONNECT tunnels through
// HTTPS_PROXY (https_proxy), TLS to the target inside the tunnel (servername = the target's host, so
// the target's certificate is checked against the default store + NODE_EXTRA_CA_CERTS).
//
// NO_PROXY (no_proxy): comma- or space-separated host names (matching the host and its subdomains),
// .domain suffixes, IP addresses, CIDRs, optionally with :port, or '*'. Always bypassed: loopback,
// KUBERNETES_SERVICE_HOST, *.svc and *.cluster.local (the scripts never send the Kubernetes API
// through this agent anyway). Plain http:// targets are never proxied (GitHub's API is https).
//
// The proxy's URL is only ever printed as scheme://host:port: userinfo never reaches a log.
'use strict';

const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const tls = require('node:tls');

const ALWAYS_DIRECT = ['localhost', '127.0.0.1', '::1', '.svc', '.cluster.local'];

class ProxyConfigError extends Error {}

/** The proxy from the environment, or undefined. Throws ProxyConfigError when it is not an http(s) URL. */
function proxyFromEnv(env) {
  const text = env.HTTPS_PROXY || env.https_proxy;
  if (!text) return undefined;
  let url;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new ProxyConfigError(`HTTPS_PROXY must be an http(s) proxy URL such as http://proxy.corp:3128, got ${JSON.stringify(text.replace(/\/\/[^/@]*@/, '//***@'))}`);
  }
  return url;
}

/** The NO_PROXY entries, with what is always direct. */
function noProxyFromEnv(env) {
  const text = env.NO_PROXY ?? env.no_proxy ?? '';
  const entries = text.split(/[\s,]+/).map((e) => e.trim().toLowerCase()).filter((e) => e !== '');
  if (env.KUBERNETES_SERVICE_HOST) entries.push(env.KUBERNETES_SERVICE_HOST.toLowerCase());
  return [...ALWAYS_DIRECT, ...entries];
}

const stripBrackets = (host) => (host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);

/** Whether `host` (and `port`) are to be reached directly. */
function bypasses(noProxy, host, port) {
  const name = stripBrackets(host.toLowerCase()).replace(/\.$/, '');
  for (const raw of noProxy) {
    if (raw === '*') return true;
    let entry = raw;
    // host:port (not an IPv6 address without brackets): the entry only applies to that port.
    const withPort = /^(\[[^\]]+\]|[^:]+):([0-9]{1,5})$/.exec(entry);
    if (withPort) {
      if (Number(withPort[2]) !== Number(port)) continue;
      entry = withPort[1];
    }
    entry = stripBrackets(entry);
    if (entry.includes('/')) {
      const [address, prefix] = entry.split('/');
      const family = net.isIP(address);
      if (family === 0 || net.isIP(name) !== family || !/^[0-9]{1,3}$/.test(prefix)) continue;
      const list = new net.BlockList();
      try {
        list.addSubnet(address, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
      } catch {
        continue;
      }
      if (list.check(name, family === 4 ? 'ipv4' : 'ipv6')) return true;
      continue;
    }
    if (net.isIP(entry) || net.isIP(name)) {
      if (entry === name) return true;
      continue;
    }
    const domain = entry.replace(/^\*?\./, '');
    if (name === domain || name.endsWith(`.${domain}`)) return true;
  }
  return false;
}

/** scheme://host:port of the proxy, for messages (never its userinfo). */
const describeProxy = (proxy) => `${proxy.protocol}//${proxy.host}`;

/** An https.Agent that tunnels every connection through `proxy` with CONNECT. */
class TunnelAgent extends https.Agent {
  constructor(proxy, timeoutMs) {
    super({ keepAlive: false });
    this.proxy = proxy;
    this.timeoutMs = timeoutMs;
  }

  createConnection(options, callback) {
    const host = stripBrackets(options.host || options.hostname || 'localhost');
    const port = Number(options.port) || 443;
    const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const proxy = this.proxy;
    const transport = proxy.protocol === 'https:' ? https : http;
    const connect = transport.request({
      host: stripBrackets(proxy.hostname),
      port: Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: { Host: authority },
      agent: false,
    });
    let done = false;
    const finish = (error, socket) => {
      if (done) return;
      done = true;
      callback(error, socket);
    };
    connect.setTimeout(this.timeoutMs, () => connect.destroy(Object.assign(
      new Error(`the proxy ${describeProxy(proxy)} did not open a tunnel to ${authority} within ${this.timeoutMs / 1000}s`), { code: 'ETIMEDOUT' })));
    connect.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        return finish(new Error(`the proxy ${describeProxy(proxy)} refused CONNECT ${authority}: ${response.statusCode} ${response.statusMessage || ''}`.trim()));
      }
      const servername = options.servername || (net.isIP(host) ? undefined : host);
      const { path: _path, ...tlsOptions } = options;
      const secure = tls.connect({ ...tlsOptions, host, port, socket, servername });
      finish(null, secure);
    });
    connect.once('response', (response) => {
      response.resume();
      finish(new Error(`the proxy ${describeProxy(proxy)} answered CONNECT ${authority} with ${response.statusCode}, not a tunnel`));
    });
    connect.once('error', (error) => {
      const wrapped = new Error(`the proxy ${describeProxy(proxy)} cannot be reached: ${error.message}`);
      wrapped.code = error.code;
      finish(wrapped);
    });
    connect.end();
    return undefined;
  }
}

/**
 * The agent for a request to `url`: a TunnelAgent when HTTPS_PROXY is set and NO_PROXY does not
 * exempt the host, else `false` (a fresh direct connection, as the scripts use without a proxy).
 */
function agentFor(url, env = process.env, timeoutMs = 30000) {
  const target = new URL(url);
  if (target.protocol !== 'https:') return false;
  const proxy = proxyFromEnv(env);
  if (!proxy || bypasses(noProxyFromEnv(env), target.hostname, target.port || 443)) return false;
  return new TunnelAgent(proxy, timeoutMs);
}

/** For the log: how the scripts reach `url`; undefined when no proxy is configured. */
function routeOf(url, env = process.env) {
  const target = new URL(url);
  const proxy = proxyFromEnv(env);
  if (!proxy) return undefined;
  if (target.protocol !== 'https:' || bypasses(noProxyFromEnv(env), target.hostname, target.port || 443)) return `${target.host} directly`;
  return `${target.host} through the proxy ${describeProxy(proxy)}`;
}

module.exports = { agentFor, routeOf, proxyFromEnv, bypasses, noProxyFromEnv, ProxyConfigError, describeProxy };
