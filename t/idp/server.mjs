#!/usr/bin/env node
// OpenID provider fixture for the mod_oauth_token test suite.
//
//   node t/idp/server.mjs --port PORT --state DIR [--issuer URL] [--rotate]
//        [--redirect-uri URL]... [--post-logout-redirect-uri URL]...
//        [--backchannel-logout-uri URL]
//
// A real provider (npm oidc-provider, pinned in /package.json) behind a small
// plain-node HTTP wrapper that adds what tests need: RFC 8414 metadata, request
// counters, simulated failures, key rotation and a few knobs, all under /_test/.
// Listens on 127.0.0.1 only. t/idp/README.md describes every endpoint, client
// and account.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

// ---------------------------------------------------------------- logging
// oidc-provider prints NOTICE lines (stdout) about defaults and a WARNING on
// every Node.js release line but the newest LTS ("Unsupported runtime"): the
// fixture works on the versions listed in t/idp/README.md, so both are noise.
const log = (msg) => process.stderr.write(`idp[${process.pid}]: ${msg}\n`);
const quiet = (orig) => (...args) => {
  const s = String(args[0] ?? '');
  if (s.startsWith('oidc-provider NOTICE') || s.includes('Unsupported runtime')) return;
  orig(...args);
};
// oidc-provider 9 calls URL.parse and crypto.hash: Node.js >= 20.18 (or 22+).
if (typeof URL.parse !== 'function' || typeof crypto.hash !== 'function') {
  log(`node ${process.version} is too old for oidc-provider 9: use Node.js >= 20.18 or 22`);
  process.exit(1);
}
console.info = quiet(console.info.bind(console));
console.warn = quiet(console.warn.bind(console));
const { default: Provider } = await import('oidc-provider');
// One in-memory store for the whole process, shared by the Provider instances
// that key rotation creates (oidc-provider gives each instance its own store),
// so tokens, grants and sessions outlive a rotation. Deep import: the package
// has no "exports" map and its version is pinned exactly in /package.json.
const { createMemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');
const sharedAdapter = createMemoryAdapter();

// ---------------------------------------------------------------- arguments
const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    state: { type: 'string' },
    issuer: { type: 'string' },
    rotate: { type: 'boolean', default: false },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
    'backchannel-logout-uri': { type: 'string' },
  },
  strict: true,
});
if (args.port === undefined || !args.state) {
  process.stderr.write('usage: server.mjs --port PORT --state DIR [--issuer URL] [--rotate] '
    + '[--redirect-uri URL]... [--post-logout-redirect-uri URL]... [--backchannel-logout-uri URL]\n');
  process.exit(2);
}
const HOST = '127.0.0.1';
const stateDir = path.resolve(args.state);
fs.mkdirSync(stateDir, { recursive: true });
const keysFile = path.join(stateDir, 'keys.json');
const readyFile = path.join(stateDir, 'ready');
fs.rmSync(readyFile, { force: true });

// ---------------------------------------------------------------- fixed test data
// (every token, grant and session lives in oidc-provider's in-memory adapter:
// a restart forgets them, on purpose; the keys survive in DIR/keys.json)
const RESOURCES = {
  // RFC 9068 JWT access tokens; audience = the resource indicator
  'https://api.test': { format: 'jwt', scope: 'orders:read orders:write profile' },
  // a second JWT audience, for "token for another resource" tests
  'https://other.test': { format: 'jwt', scope: 'orders:read orders:write profile' },
  // opaque (reference) access tokens, checked by introspection
  'https://opaque.test': { format: 'opaque', scope: 'orders:read orders:write profile' },
};

const ACCOUNTS = {
  alice: {
    password: 'alice-password',
    claims: {
      name: 'Alice Example', preferred_username: 'alice', email: 'alice@example.test',
      email_verified: true, groups: ['staff', 'orders'],
    },
    roles: ['orders-admin', 'user'],
  },
  bob: {
    password: 'bob-password',
    claims: {
      name: 'Bob Example', preferred_username: 'bob', email: 'bob@example.test',
      email_verified: false, groups: ['users'],
    },
    roles: ['user'],
  },
};

function buildClients() {
  const redirectUris = args['redirect-uri'].length ? args['redirect-uri']
    : ['http://127.0.0.1/unused-redirect'];
  const web = (id) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: args['post-logout-redirect-uri'],
    token_endpoint_auth_method: 'client_secret_basic', // client_secret_post works too
    scope: 'openid offline_access profile email orders:read orders:write',
  });
  const webClient = web('web-client');
  if (args['backchannel-logout-uri']) {
    webClient.backchannel_logout_uri = args['backchannel-logout-uri'];
    webClient.backchannel_logout_session_required = true;
  }
  return [
    {
      client_id: 'rs-client',
      client_secret: 'rs-client-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'orders:read orders:write profile',
    },
    {
      client_id: 'rs-client-2',
      client_secret: 'rs-client-2-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'orders:read',
    },
    {
      client_id: 'introspector',
      client_secret: 'introspector-secret',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
    webClient,
    web('web-client-2'),
  ];
}

// ---------------------------------------------------------------- mutable test state
const counts = {};
const COUNTERS = ['discovery', 'openid_configuration', 'oauth_authorization_server', 'jwks',
  'token', 'introspection', 'revocation', 'authorization', 'userinfo', 'end_session',
  'interaction', 'other', 'total', 'backchannel_success', 'backchannel_error'];
function resetCounts() { for (const k of COUNTERS) counts[k] = 0; }
resetCounts();

const FAILABLE = new Set(['discovery', 'jwks', 'token', 'introspection', 'revocation',
  'authorization', 'userinfo', 'end_session']);
// One metadata document only (RFC 8414 or OIDC discovery), e.g. a 404 for the
// RFC 8414 one to test the fallback; not part of "all" ("discovery" is both).
const FAILABLE_DOCS = new Set(['oauth_authorization_server', 'openid_configuration']);
let fail = { modes: new Set(), status: 500, delayMs: 0 };

const settings = {
  alg: 'RS256',            // JWS alg of JWT access tokens (RS256 or ES256)
  access_token_ttl: 600,   // seconds, every access token
  jwks_cache_control: '',  // Cache-Control header on the JWKS answer ('' = none)
  auto_login: '',          // account id: interaction logs in without a form
  // resource indicator given to an authorization (code) request that names
  // none ('' = none: an opaque access token for userinfo); e.g. https://api.test
  // makes a login's access token an RFC 9068 JWT for that resource
  default_resource: '',
};
const logins = [];         // { account, client, sid } per successful authorization
// What the token endpoint answered (successful JSON answers, newest last), so
// that tests can compare what a relying party passes on with what it got.
const tokenResponses = [];
// One-shot: the next token answer with an id_token gets it re-signed (same
// kid) with these claim changes (null removes a claim) and/or a broken
// signature: a wrong nonce, an ID token for another client, ...
let idTokenTamper = null;  // { claims: {...}, signature: 'bad' | undefined }

// ---------------------------------------------------------------- keys
function newKey(alg) {
  const { privateKey } = alg === 'ES256'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const kid = `${alg === 'ES256' ? 'es' : 'rs'}-${crypto.randomBytes(6).toString('hex')}`;
  return { ...jwk, kid, alg, use: 'sig' };
}
function saveKeys(keys) {
  const tmp = `${keysFile}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ keys }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, keysFile);
}
function loadKeys() {
  if (!fs.existsSync(keysFile)) {
    const keys = [newKey('RS256'), newKey('ES256')];
    saveKeys(keys);
    return keys;
  }
  const { keys } = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
  return keys;
}
// New signing key for alg; the old key(s) of that alg leave the set unless keepOld
// (then they stay published after the new one, which signs since it comes first).
function rotateKeys(keys, alg = 'RS256', keepOld = false) {
  const fresh = newKey(alg);
  const old = keys.filter((k) => k.alg === alg);
  const others = keys.filter((k) => k.alg !== alg);
  const next = [fresh, ...(keepOld ? old : []), ...others];
  saveKeys(next);
  return { keys: next, newKid: fresh.kid, oldKids: old.map((k) => k.kid) };
}
const publicJwk = ({ d, p, q, dp, dq, qi, ...pub }) => pub;

// ---------------------------------------------------------------- ID token tampering
const b64urlJson = (seg) => JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
function resignIdToken(token, tamper) {
  const [h, p] = token.split('.');
  const header = b64urlJson(h);
  const payload = b64urlJson(p);
  for (const [k, v] of Object.entries(tamper.claims ?? {})) {
    if (v === null) delete payload[k]; else payload[k] = v;
  }
  const { keys } = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
  const jwk = keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no private key for kid ${header.kid}`);
  const key = crypto.createPrivateKey({ key: jwk, format: 'jwk' });
  const input = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const opts = { RS256: ['sha256', { key }], ES256: ['sha256', { key, dsaEncoding: 'ieee-p1363' }],
    PS256: ['sha256', { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }] }[header.alg];
  if (!opts) throw new Error(`cannot re-sign alg ${header.alg}`);
  const sig = crypto.sign(opts[0], Buffer.from(input), opts[1]);
  if (tamper.signature === 'bad') sig[sig.length - 1] ^= 0x01;
  return `${input}.${sig.toString('base64url')}`;
}

// Wraps res.end of a token endpoint answer: records it, and applies an armed
// ID-token tamper (koa answers with one res.end(body) before headers are sent).
function watchTokenAnswer(res) {
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    let body;
    try {
      if (chunk && res.statusCode === 200) body = JSON.parse(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
    } catch { body = undefined; }
    if (!body || typeof body !== 'object') return end(chunk, ...rest);
    if (body.id_token && idTokenTamper) {
      const tamper = idTokenTamper;
      idTokenTamper = null;
      try {
        body.id_token = resignIdToken(body.id_token, tamper);
        const out = JSON.stringify(body);
        if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(out));
        chunk = out;
        log(`token answer: id_token re-signed with ${JSON.stringify(tamper)}`);
      } catch (err) {
        log(`token answer: cannot tamper the id_token: ${err.message}`);
      }
    }
    tokenResponses.push(body);
    if (tokenResponses.length > 50) tokenResponses.shift();
    return end(chunk, ...rest);
  };
}

// ---------------------------------------------------------------- HTML (no external resources)
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:28em;margin:2em auto}input,button{display:block;margin:.4em 0;font-size:1em}</style>
</head><body><h1>${esc(title)}</h1>
${body}
</body></html>`;

function loginPage(uid, prefix, params, error) {
  return page('Sign in', `${error ? `<p id="error" class="error">${esc(error)}</p>` : ''}
<p>Client: <span id="client-id">${esc(params.client_id)}</span></p>
<form id="login-form" method="post" action="${esc(prefix)}/interaction/${esc(uid)}/login">
<label>Username <input id="login" name="login" autocomplete="username" value="${esc(params.login_hint ?? '')}" required autofocus></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button id="login-submit" type="submit">Sign in</button>
</form>
<form id="abort-form" method="post" action="${esc(prefix)}/interaction/${esc(uid)}/abort">
<button id="abort" type="submit">Cancel</button>
</form>`);
}

async function logoutSource(ctx, form) {
  ctx.type = 'html';
  ctx.body = page('Sign out', `<p>Sign out from ${esc(ctx.host)}?</p>
${form}
<button id="logout-yes" type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button id="logout-no" type="submit" form="op.logoutForm">No, stay signed in</button>`);
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = page('Signed out', '<p id="signed-out">Your sign-out was successful.</p>');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  ctx.body = page('Error', Object.entries(out)
    .map(([k, v]) => `<p><strong>${esc(k)}</strong>: <span id="${esc(k)}">${esc(v)}</span></p>`).join('\n'));
}

// ---------------------------------------------------------------- provider
let issuer;
let issuerPath;
let provider;
let providerCallback;
let cookieKeys = [crypto.randomBytes(32).toString('base64url')];

function buildProvider(keys) {
  const p = new Provider(issuer, {
    adapter: sharedAdapter,
    clients: buildClients(),
    jwks: { keys },
    cookies: {
      keys: cookieKeys,
      // cookies ignore ports: names that cannot clash with the module's on 127.0.0.1
      names: { session: 'op_session', interaction: 'op_interaction', resume: 'op_interaction_resume' },
    },
    // orders:* are resource scopes; listed here too so that a client's `scope`
    // metadata may name them (client metadata may only hold listed scopes)
    scopes: ['openid', 'offline_access', 'profile', 'email', 'orders:read', 'orders:write'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email', 'email_verified'],
    },
    conformIdTokenClaims: false, // scope claims go into the ID token too
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => client.clientId === 'introspector'
          || client.clientId === token.clientId,
      },
      revocation: {
        enabled: true,
        // any client that authenticated with its secret may revoke any token (test fixture)
        allowedPolicy: async (ctx, client) => client.clientAuthMethod !== 'none',
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf
          ?? ((settings.default_resource && client.grantTypeAllowed('authorization_code'))
            ? settings.default_resource : undefined),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, resource) => {
          const rs = RESOURCES[resource];
          if (!rs) throw new Provider.errors.InvalidTarget();
          return {
            scope: rs.scope,
            accessTokenTTL: settings.access_token_ttl,
            accessTokenFormat: rs.format,
            ...(rs.format === 'jwt' ? { jwt: { sign: { alg: settings.alg } } } : {}),
          };
        },
      },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      backchannelLogout: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: {
      AccessToken: () => settings.access_token_ttl,
      ClientCredentials: () => settings.access_token_ttl,
    },
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    extraTokenClaims: async (ctx, token) => {
      const account = ACCOUNTS[token.accountId];
      if (account) return { realm_access: { roles: account.roles } };
      const extra = {};
      if (token.clientId === 'rs-client') extra.realm_access = { roles: ['orders-admin'] };
      // RFC 9068 makes sub the client_id for client-credentials JWTs (oidc-provider
      // does so); give the introspection answer of an opaque one the same sub
      if (token.kind === 'ClientCredentials' && (token.resourceServer?.accessTokenFormat ?? 'opaque') === 'opaque') {
        extra.sub = token.clientId;
      }
      return extra;
    },
    findAccount: async (ctx, sub) => {
      const account = ACCOUNTS[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    interactions: { url: async (ctx, interaction) => `${issuerPath}/interaction/${interaction.uid}` },
    renderError,
    clientBasedCORS: () => false,
    // The stock fetch refuses loopback and private addresses (SSRF guard); the
    // relying parties under test (back-channel logout) live on 127.0.0.1.
    fetch: (url, options) => {
      delete options.dispatcher;
      return globalThis.fetch(url, options);
    },
  });
  p.on('server_error', (ctx, err) => log(`server_error: ${err?.stack ?? err}`));
  p.on('backchannel.success', () => { counts.backchannel_success += 1; });
  p.on('backchannel.error', (ctx, err, client) => {
    counts.backchannel_error += 1;
    log(`back-channel logout to ${client?.backchannelLogoutUri} failed: ${err?.message}`);
  });
  p.on('authorization.success', (ctx) => {
    const session = ctx.oidc.session;
    const clientId = ctx.oidc.client?.clientId;
    if (session?.accountId && clientId) {
      logins.push({ account: session.accountId, client: clientId, sid: session.sidFor(clientId) });
      if (logins.length > 100) logins.shift();
    }
  });
  return p;
}

async function installProvider(keys) {
  const p = buildProvider(keys);
  // client metadata is checked lazily by oidc-provider: check it now, loudly
  for (const { client_id: id } of buildClients()) await p.Client.find(id);
  provider = p;
  providerCallback = p.callback();
}

// ---------------------------------------------------------------- interactions
function readBody(req, limit = 65536) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendHtml(res, status, html) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(html),
  });
  res.end(html);
}

async function autoConsent(req, res, details) {
  const { prompt: { details: missing }, params, session } = details;
  let { grantId } = details;
  const grant = grantId ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  grantId = await grant.save();
  const result = details.grantId ? {} : { consent: { grantId } };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

async function interaction(req, res, rest) {
  const [uid, action] = rest.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction uid mismatch');
  const { prompt, params } = details;

  if (req.method === 'GET' && !action) {
    if (prompt.name === 'consent') return autoConsent(req, res, details);
    if (settings.auto_login && ACCOUNTS[settings.auto_login]) {
      return provider.interactionFinished(req, res, { login: { accountId: settings.auto_login } },
        { mergeWithLastSubmission: false });
    }
    return sendHtml(res, 200, loginPage(uid, issuerPath, params));
  }
  if (req.method === 'POST' && action === 'login') {
    const form = new URLSearchParams(await readBody(req));
    const login = form.get('login') ?? '';
    const account = Object.hasOwn(ACCOUNTS, login) ? ACCOUNTS[login] : undefined;
    if (!account || form.get('password') !== account.password) {
      return sendHtml(res, 200, loginPage(uid, issuerPath, params, 'Invalid username or password.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: login } },
      { mergeWithLastSubmission: false });
  }
  if (req.method === 'POST' && action === 'abort') {
    await readBody(req);
    return provider.interactionFinished(req, res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false });
  }
  return sendHtml(res, 404, page('Not found', ''));
}

// ---------------------------------------------------------------- /_test/ control
function sendJson(res, status, obj) {
  const body = `${JSON.stringify(obj)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function control(req, res, url) {
  const op = url.pathname.slice('/_test/'.length);
  const q = url.searchParams;
  if (req.method === 'POST') await readBody(req);
  const route = `${req.method} ${op}`;

  switch (route) {
    case 'GET counts':
      return sendJson(res, 200, counts);
    case 'POST reset-counts':
      resetCounts();
      return sendJson(res, 200, counts);
    case 'POST rotate': {
      const alg = q.get('alg') ?? 'RS256';
      if (alg !== 'RS256' && alg !== 'ES256') return sendJson(res, 400, { error: 'alg must be RS256 or ES256' });
      const current = JSON.parse(fs.readFileSync(keysFile, 'utf8')).keys;
      const r = rotateKeys(current, alg, q.get('keep_old') === '1');
      await installProvider(r.keys);
      log(`rotated ${alg}: ${r.oldKids.join(',')} -> ${r.newKid}${q.get('keep_old') === '1' ? ' (old kept)' : ''}`);
      return sendJson(res, 200, { kid: r.newKid, old_kids: r.oldKids, jwks: { keys: r.keys.map(publicJwk) } });
    }
    case 'GET keys': {
      const { keys } = JSON.parse(fs.readFileSync(keysFile, 'utf8'));
      return sendJson(res, 200, { keys: keys.map(publicJwk) });
    }
    case 'POST fail': {
      const modes = (q.get('mode') ?? 'none').split(',').filter(Boolean);
      const set = new Set();
      for (const m of modes) {
        if (m === 'none') continue;
        if (m === 'all') { FAILABLE.forEach((f) => set.add(f)); continue; }
        if (!FAILABLE.has(m) && !FAILABLE_DOCS.has(m)) return sendJson(res, 400, { error: `unknown mode ${m}`, modes: [...FAILABLE, ...FAILABLE_DOCS, 'all', 'none'] });
        set.add(m);
      }
      fail = {
        modes: set,
        status: Number(q.get('status') ?? 500),
        delayMs: Number(q.get('delay_ms') ?? 0),
      };
      return sendJson(res, 200, { modes: [...set], status: fail.status, delay_ms: fail.delayMs });
    }
    case 'GET config':
      return sendJson(res, 200, settings);
    case 'POST config': {
      for (const [k, v] of q) {
        if (!(k in settings)) return sendJson(res, 400, { error: `unknown setting ${k}` });
        if (k === 'alg' && v !== 'RS256' && v !== 'ES256') return sendJson(res, 400, { error: 'alg must be RS256 or ES256' });
        if (k === 'access_token_ttl' && !(Number(v) > 0)) return sendJson(res, 400, { error: 'ttl must be > 0' });
        if (k === 'default_resource' && v !== '' && !RESOURCES[v]) return sendJson(res, 400, { error: `unknown resource ${v}` });
        settings[k] = typeof settings[k] === 'number' ? Number(v) : v;
      }
      return sendJson(res, 200, settings);
    }
    case 'GET logins':
      return sendJson(res, 200, logins);
    case 'GET token-responses':
      return sendJson(res, 200, tokenResponses);
    case 'POST tamper-id-token': {
      // ?claims={"nonce":"x","aud":null}[&signature=bad]: the next id_token only
      let claims = {};
      try {
        claims = JSON.parse(q.get('claims') ?? '{}');
      } catch (err) {
        return sendJson(res, 400, { error: `claims: ${err.message}` });
      }
      if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return sendJson(res, 400, { error: 'claims must be a JSON object' });
      const signature = q.get('signature') ?? undefined;
      if (signature !== undefined && signature !== 'bad') return sendJson(res, 400, { error: 'signature must be bad' });
      idTokenTamper = q.get('off') === '1' ? null : { claims, signature };
      return sendJson(res, 200, { armed: idTokenTamper });
    }
    case 'POST backchannel-logout': {
      // Sends an OpenID Connect back-channel logout token as if the user had
      // logged out at the provider: ?client=web-client&sub=alice[&sid=...]
      const client = await provider.Client.find(q.get('client') ?? 'web-client');
      if (!client?.backchannelLogoutUri) return sendJson(res, 400, { error: 'client has no backchannel_logout_uri' });
      const sub = q.get('sub') ?? 'alice';
      const sid = q.get('sid')
        ?? logins.findLast((l) => l.account === sub && l.client === client.clientId)?.sid;
      try {
        await client.backchannelLogout(sub, sid);
        counts.backchannel_success += 1;
        return sendJson(res, 200, { ok: true, sub, sid });
      } catch (err) {
        counts.backchannel_error += 1;
        return sendJson(res, 502, { ok: false, sub, sid, error: err.message });
      }
    }
    default:
      return sendJson(res, 404, {
        error: 'unknown control operation',
        operations: ['GET counts', 'POST reset-counts', 'POST rotate[?alg=RS256|ES256&keep_old=1]', 'GET keys',
          'POST fail?mode=jwks|introspection|discovery|oauth_authorization_server|openid_configuration|token|revocation|authorization|userinfo|end_session|all|none[,..][&status=500&delay_ms=0]',
          'GET config', 'POST config?alg=RS256|ES256&access_token_ttl=N&jwks_cache_control=V&auto_login=ID&default_resource=URL',
          'GET logins', 'POST backchannel-logout?client=ID&sub=ID[&sid=SID]',
          'GET token-responses', 'POST tamper-id-token?claims=JSON[&signature=bad][&off=1]'],
      });
  }
}

// ---------------------------------------------------------------- request routing
const AS_METADATA = '/.well-known/oauth-authorization-server';
const OIDC_METADATA = '/.well-known/openid-configuration';

function categorize(p) {
  if (p === OIDC_METADATA) return 'discovery';
  if (p === '/jwks') return 'jwks';
  if (p === '/token') return 'token';
  if (p === '/token/introspection') return 'introspection';
  if (p === '/token/revocation') return 'revocation';
  if (p === '/auth' || p.startsWith('/auth/')) return 'authorization';
  if (p === '/me') return 'userinfo';
  if (p === '/session/end' || p.startsWith('/session/end/')) return 'end_session';
  if (p.startsWith('/interaction/')) return 'interaction';
  return 'other';
}

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

async function handle(req, res) {
  const url = new URL(req.url, 'http://fixture.invalid');
  if (url.pathname.startsWith('/_test/')) return control(req, res, url);

  // Map the request path onto the provider's own (mount-relative) routes.
  let inner;
  if (url.pathname === AS_METADATA + issuerPath) {
    inner = OIDC_METADATA; // RFC 8414 (path-insertion rule): same metadata
    counts.oauth_authorization_server += 1;
  } else if (!issuerPath) {
    inner = url.pathname;
  } else if (url.pathname.startsWith(`${issuerPath}/`)) {
    inner = url.pathname.slice(issuerPath.length);
  } else {
    inner = null;
  }
  const category = inner === null ? 'other' : categorize(inner);
  let doc = null;
  if (inner === OIDC_METADATA) {
    doc = url.pathname === AS_METADATA + issuerPath ? 'oauth_authorization_server' : 'openid_configuration';
  }
  if (doc === 'openid_configuration') counts.openid_configuration += 1;
  counts[category] += 1;
  counts.total += 1;

  if (fail.modes.has(category) || (doc && fail.modes.has(doc))) {
    if (fail.delayMs > 0) await sleep(fail.delayMs);
    return sendJson(res, fail.status, { error: 'server_error', error_description: 'simulated provider failure (test fixture)' });
  }
  if (inner === null) return sendJson(res, 404, { error: 'not_found' });
  if (!provider) return sendJson(res, 503, { error: 'starting' });

  if (category === 'interaction') {
    try {
      return await interaction(req, res, inner.slice('/interaction/'.length));
    } catch (err) {
      log(`interaction: ${err.message}`);
      return sendHtml(res, 400, page('Error', `<p id="error">${esc(err.message)}</p>`));
    }
  }
  if (category === 'token') watchTokenAnswer(res);
  if (category === 'jwks' && settings.jwks_cache_control) {
    res.setHeader('Cache-Control', settings.jwks_cache_control);
  }
  req.originalUrl = issuerPath + inner + url.search;
  req.url = inner + url.search;
  return providerCallback(req, res);
}

// ---------------------------------------------------------------- start
let keys = loadKeys();
if (args.rotate) {
  const r = rotateKeys(keys, 'RS256');
  keys = r.keys;
  log(`rotated RS256 on start: ${r.oldKids.join(',')} -> ${r.newKid}`);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    log(`unhandled: ${err?.stack ?? err}`);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error' });
    else res.destroy();
  });
});
server.keepAliveTimeout = 5000;

server.on('error', (err) => {
  log(`cannot listen on ${HOST}:${args.port}: ${err.message}`);
  process.exit(1);
});

server.listen(Number(args.port), HOST, async () => {
  const { port } = server.address();
  issuer = args.issuer ?? `http://${HOST}:${port}`;
  issuerPath = new URL(issuer).pathname.replace(/\/+$/, '');
  try {
    await installProvider(keys);
  } catch (err) {
    log(`cannot configure the provider: ${err?.stack ?? err}`);
    process.exit(1);
  }
  const tmp = `${readyFile}.tmp`;
  fs.writeFileSync(tmp, `port=${port}\npid=${process.pid}\nissuer=${issuer}\n`);
  fs.renameSync(tmp, readyFile);
  log(`listening on http://${HOST}:${port} issuer ${issuer} (node ${process.version})`);
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  fs.rmSync(readyFile, { force: true });
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
  log(`${signal}: stopping`);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
