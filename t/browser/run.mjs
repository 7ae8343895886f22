#!/usr/bin/env node
// Scripted browser for the test suite: Debian's chromium (/usr/bin/chromium) driven by npm
// playwright-core, headless, with no network beyond loopback. t/browser/README.md has the details.
//
//   node t/browser/run.mjs SCRIPT.json        (or the script on stdin: node t/browser/run.mjs < S.json)
//
// SCRIPT: [step, ...] or {"steps": [...], "timeout_ms": 60000, "step_timeout_ms": 15000}.
// Prints ONE JSON object on stdout: {"ok", "steps": [...], "total_ms", "browser", "blocked", "error"}.
// Exit status 0 when every step ran without error, 1 otherwise. Never hangs: every step and the
// whole script have deadlines, and a watchdog ends the process after them.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const EXECUTABLE = process.env.OT_CHROMIUM || '/usr/bin/chromium';
const STEP_MS = 15000;            // default deadline of one step
const SCRIPT_MS = 60000;          // default deadline of the whole script (launch included)
const TEXT_MAX = 2000;            // body text kept per step
const BODY_MAX = 65536;           // fetch body kept per step
const LAUNCH_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-quic'];
const ACTIONS = ['goto', 'login', 'click', 'wait_url', 'cookies', 'set_cookie', 'clear_cookies',
    'fetch', 'screenshot', 'new_context', 'sleep_ms'];

const t0 = performance.now();
const elapsed = (since = t0) => Math.round(performance.now() - since);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const out = { ok: false, steps: [], total_ms: 0, browser: null, blocked: [], error: null };
let browser = null, context = null, page = null, chromePid = null, guard = null, printed = false;
let stepRequests = null;          // URLs the page asked for during the current step

// ---- the end: print once, exit; nothing may keep the process alive ---------------------------
function finish(code) {
    if (printed) return;
    printed = true;
    out.total_ms = elapsed();
    out.ok = code === 0;
    const text = JSON.stringify(out) + '\n';
    try { fs.writeSync(1, text); } catch { /* stdout gone: nothing to tell */ }
    killChrome();
    process.exit(code);
}

function killChrome() {
    if (!chromePid) return;
    try { process.kill(chromePid, 'SIGKILL'); } catch { /* already gone */ }
}

async function shutdown(code) {
    // a bounded close: chromium gets 3 s to go, then SIGKILL
    if (browser) await withTimeout(browser.close().catch(() => {}), 3000, 'close').catch(() => {});
    if (guard) guard.close();
    finish(code);
}

function withTimeout(promise, ms, what) {
    let timer;
    const expire = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    });
    return Promise.race([promise, expire]).finally(() => clearTimeout(timer));
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => { out.error = `killed by ${sig}`; shutdown(1); });
}
process.on('uncaughtException', (e) => { out.error = `internal error: ${e.stack || e}`; finish(1); });
process.on('unhandledRejection', () => { /* abandoned promises of timed-out steps */ });

// ---- loopback only --------------------------------------------------------------------------
function loopbackHost(host) {
    host = host.toLowerCase().replace(/^\[|\]$/g, '');
    if (host === 'localhost' || host.endsWith('.localhost')) return true;
    if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
    if (net.isIPv4(host)) return host.split('.')[0] === '127';
    const m = host.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    return !!(m && m[1].startsWith('127.'));
}

function allowedUrl(u) {
    let url;
    try { url = new URL(u); } catch { return false; }
    if (['data:', 'blob:', 'about:'].includes(url.protocol)) return true;
    if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) return false;
    return loopbackHost(url.hostname);
}

function noteBlocked(url, by) {
    out.blocked.push({ url, by });
}

// Second line of defence: context.route sees the first URL of a navigation only, not its
// redirects, and nothing the browser itself requests. Chromium is told to use this "proxy" for
// every host except loopback ones; it records what reached it and drops the connection.
function startGuard() {
    return new Promise((resolve, reject) => {
        const server = http.createServer((req, res) => {
            noteBlocked(req.url, 'proxy');
            req.socket.destroy();
        });
        server.on('connect', (req, socket) => {
            noteBlocked(`CONNECT ${req.url}`, 'proxy');
            socket.destroy();
        });
        server.on('upgrade', (req, socket) => {
            noteBlocked(req.url, 'proxy');
            socket.destroy();
        });
        server.on('clientError', (e, socket) => socket.destroy());
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => { server.unref(); resolve(server); });
    });
}

// ---- the script -----------------------------------------------------------------------------
function readScript() {
    const arg = process.argv[2];
    const text = !arg || arg === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(arg, 'utf8');
    let s = JSON.parse(text);
    if (Array.isArray(s)) s = { steps: s };
    if (!s || typeof s !== 'object' || !Array.isArray(s.steps)) throw new Error('script: expected [steps] or {"steps": [...]}');
    s.steps.forEach((step, i) => {
        const acts = Object.keys(step || {}).filter((k) => ACTIONS.includes(k));
        if (acts.length !== 1) throw new Error(`script: step ${i} needs exactly one of ${ACTIONS.join(' ')}: ${JSON.stringify(step)}`);
        step.__action = acts[0];
    });
    return s;
}

async function newContext(opts) {
    if (context) await withTimeout(context.close().catch(() => {}), 3000, 'context close').catch(() => {});
    context = await browser.newContext({
        ignoreHTTPSErrors: opts.ignore_https_errors !== false,   // loopback test servers, self-signed
        serviceWorkers: 'block',
        viewport: { width: 1024, height: 768 },
    });
    await context.route(() => true, (route) => {
        const url = route.request().url();
        if (allowedUrl(url)) return route.continue().catch(() => {});
        noteBlocked(url, 'route');
        return route.abort('blockedbyclient').catch(() => {});
    });
    context.on('request', (r) => { if (stepRequests) stepRequests.add(r.url()); });
    page = await context.newPage();
    page.on('dialog', (d) => d.dismiss().catch(() => {}));
    page.__nav = { requests: 0, commits: 0, status: null, log: null };
    page.on('request', (r) => {
        if (!isMainNav(r)) return;
        page.__nav.requests++;
        page.__nav.status = null;
        if (page.__nav.log) page.__nav.log.push(`${r.method()} ${r.url()}`);
    });
    page.on('response', (r) => { if (isMainNav(r.request())) page.__nav.status = r.status(); });
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) page.__nav.commits++; });
}

function isMainNav(r) {
    try { return r.isNavigationRequest() && r.frame() === page.mainFrame(); } catch { return false; }
}

function chromeProcess() {
    // the browser is a child of this process (the Debian wrapper script execs chromium)
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
        try {
            const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
            const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
            if (ppid !== process.pid) continue;
            const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
            if (/chrom/.test(cmdline[0] || '')) return { pid: Number(pid), cmdline };
        } catch { /* gone meanwhile */ }
    }
    return null;
}

// ---- steps ----------------------------------------------------------------------------------
// Wait for the navigation an action may have started: up to `grace` ms for it to start, then
// until it commits and loads (and the page has been quiet for a moment).
async function settle(before, deadline, grace = 400) {
    const nav = page.__nav;
    const startBy = Math.min(deadline, Date.now() + grace);
    while (nav.requests === before.requests && Date.now() < startBy) await sleep(20);
    if (nav.requests === before.requests) return;
    let quiet = 0;
    while (Date.now() < deadline) {
        const seen = `${nav.requests}/${nav.commits}`;
        await sleep(50);
        const committed = nav.commits > before.commits;
        const loaded = committed && await page.evaluate(() => document.readyState).catch(() => null) === 'complete';
        quiet = loaded && seen === `${nav.requests}/${nav.commits}` ? quiet + 1 : 0;
        if (quiet >= 3) return;
    }
    throw new Error(`navigation did not settle (at ${page.url()})`);
}

const navMark = () => ({ requests: page.__nav.requests, commits: page.__nav.commits });

const steps = {
    async goto(step, res, ms) {
        const resp = await page.goto(step.goto, { timeout: ms, waitUntil: step.wait_until || 'load' });
        if (resp) res.status = resp.status();
    },

    async login(step, res, ms, deadline) {
        const L = step.login || {};
        const until = L.until_url_prefix ?? step.until_url_prefix;
        const start = page.url();
        if (!/^https?:/.test(start)) throw new Error(`login: not on a provider page (${start})`);
        const provider = new URL(start).origin;
        const onProvider = (u) => u === provider || u.startsWith(provider + '/');
        const done = (u) => /^https?:/.test(u) && (until ? u.startsWith(until) : !onProvider(u));
        await page.waitForSelector('#login', { timeout: Math.min(ms, 5000) })
            .catch(() => { throw new Error(`login: no login form (#login) at ${start}`); });
        await page.fill('#login', String(L.username ?? ''), { timeout: ms });
        await page.fill('#password', String(L.password ?? ''), { timeout: ms });
        const before = navMark();
        await page.click('#login-submit', { timeout: ms });
        while (Date.now() < deadline) {
            const u = page.url();
            if (u.startsWith('chrome-error:')) throw new Error('login: navigation failed (see blocked)');
            if (done(u) && page.__nav.commits > before.commits) {
                await settle(navMark(), deadline, 0).catch(() => {});
                await page.waitForLoadState('load', { timeout: Math.max(1, deadline - Date.now()) });
                if (done(page.url())) return;
            } else if (onProvider(u) && page.__nav.commits > before.commits &&
                       await page.evaluate(() => document.readyState).catch(() => null) === 'complete') {
                const err = await page.$eval('#error', (e) => e.innerText).catch(() => null);
                if (err !== null) throw new Error(`login refused by the provider: ${err.trim()}`);
            }
            await sleep(50);
        }
        throw new Error(`login: still at ${page.url()} (waiting for ${until ? until + '...' : 'a page off ' + provider})`);
    },

    async click(step, res, ms, deadline) {
        const before = navMark();
        const from = page.url();
        await page.click(step.click, { timeout: ms });
        await settle(before, deadline);
        if (page.url().startsWith('chrome-error:') && !from.startsWith('chrome-error:')) throw new Error('click: the navigation failed');
    },

    async wait_url(step, res, ms) {
        await page.waitForURL(new RegExp(step.wait_url), { timeout: ms, waitUntil: 'load' });
    },

    async cookies(step, res) {
        res.cookies = (await context.cookies()).map((c) => ({
            name: c.name, value: c.value, domain: c.domain, path: c.path, httpOnly: c.httpOnly,
            secure: c.secure, sameSite: c.sameSite, expires: c.expires,
        }));
    },

    async set_cookie(step) {
        const c = { ...step.set_cookie };
        if (c.url && !allowedUrl(c.url)) throw new Error(`set_cookie: not a loopback URL: ${c.url}`);
        if (c.url) { delete c.domain; delete c.path; }
        await context.addCookies([c]);
    },

    async clear_cookies() { await context.clearCookies(); },

    async fetch(step, res, ms, deadline) {
        const f = typeof step.fetch === 'string' ? { url: step.fetch } : { ...step.fetch };
        const here = page.url();
        const url = new URL(f.url, /^https?:/.test(here) ? here : undefined).href;
        const via = f.via || (/^https?:/.test(here) && new URL(here).origin === new URL(url).origin ? 'page' : 'request');
        const opts = { method: (f.method || 'GET').toUpperCase(), headers: f.headers || {}, body: f.body, redirect: f.redirect || 'follow' };
        let r;
        if (via === 'page') {
            // an XHR of the page: same origin, the page's cookies, CORS and SameSite as a browser does
            r = await page.evaluate(async ({ url, o }) => {
                const resp = await fetch(url, { method: o.method, headers: o.headers, body: o.body, redirect: o.redirect, credentials: 'include' });
                const headers = {};
                resp.headers.forEach((v, k) => { headers[k] = v; });
                return { status: resp.status, url: resp.url, type: resp.type, redirected: resp.redirected, headers, body: await resp.text() };
            }, { url, o: opts });
        } else {
            r = await requestFetch(url, opts, ms, deadline);
        }
        r.via = via;
        if (r.body && r.body.length > BODY_MAX) r.body = r.body.slice(0, BODY_MAX);
        res.fetch = r;
        res.status = r.status;
        res.body = r.body;
    },

    async screenshot(step) {
        await page.screenshot({ path: step.screenshot, fullPage: !!step.full_page });
    },

    async new_context(step) { await newContext(step); },

    async sleep_ms(step, res, ms, deadline) {
        await sleep(Math.max(0, Math.min(Number(step.sleep_ms) || 0, deadline - Date.now())));
    },
};

// context.request shares the context's cookie jar but not its routes: follow redirects here, by
// hand, so every hop is checked against the loopback rule.
async function requestFetch(url, o, ms, deadline) {
    let method = o.method, body = o.body;
    for (let hop = 0; hop <= 20; hop++) {
        if (!allowedUrl(url)) { noteBlocked(url, 'fetch'); throw new Error(`fetch: blocked non-loopback URL ${url}`); }
        const resp = await context.request.fetch(url, {
            method, headers: o.headers, data: body, maxRedirects: 0, failOnStatusCode: false,
            ignoreHTTPSErrors: true, timeout: Math.max(1, deadline - Date.now()),
        });
        const loc = resp.headers().location;
        if (o.redirect === 'follow' && [301, 302, 303, 307, 308].includes(resp.status()) && loc) {
            url = new URL(loc, url).href;
            if (resp.status() === 303 || ([301, 302].includes(resp.status()) && method === 'POST')) { method = 'GET'; body = undefined; }
            continue;
        }
        if (o.redirect === 'error' && [301, 302, 303, 307, 308].includes(resp.status())) throw new Error(`fetch: redirected to ${loc}`);
        return { status: resp.status(), url: resp.url(), headers: resp.headers(), redirected: hop > 0, body: await resp.text() };
    }
    throw new Error('fetch: too many redirects');
}

async function describe(res) {
    res.url = page.url();
    if (res.status === null) res.status = page.__nav.status;
    res.title = await withTimeout(page.title(), 2000, 'title').catch(() => null);
    const text = await withTimeout(page.evaluate(() => (document.body ? document.body.innerText : '')), 2000, 'text')
        .catch(() => null);
    res.text = text === null ? null : text.slice(0, TEXT_MAX);
}

async function runStep(step, opts) {
    const action = step.__action;
    delete step.__action;
    const res = { step, url: null, status: null, title: null, text: null, elapsed_ms: 0, error: null, navigations: [] };
    out.steps.push(res);
    const ms = Number(step.timeout_ms) || opts.step_ms;
    const blockedBefore = out.blocked.length;
    const started = performance.now();
    // sleep_ms may be longer than a step's timeout (idle-expiry tests): the script deadline bounds it
    const limit = action === 'sleep_ms' ? Math.max(ms, (Number(step.sleep_ms) || 0) + 1000) : ms;
    const deadline = Date.now() + limit;
    page.__nav.log = res.navigations;
    stepRequests = new Set();
    try {
        await withTimeout(steps[action](step, res, ms, deadline), limit + 1000, `step ${action}`);
    } catch (e) {
        res.error = String(e && e.message || e).split(/\nCall log:|\n=====/)[0].trim();
    }
    res.elapsed_ms = elapsed(started);
    page.__nav.log = null;
    // the proxy also sees chromium's own background requests (update.googleapis.com, ...): a step
    // is blamed only for what its page asked for
    const asked = stepRequests;
    stepRequests = null;
    const blocked = out.blocked.slice(blockedBefore).filter((b) => {
        if (b.by !== 'proxy') return true;
        const m = b.url.match(/^CONNECT (.*)$/);
        return m ? [...asked].some((u) => { try { return new URL(u).host === m[1] || `${new URL(u).host}:443` === m[1]; } catch { return false; } })
                 : asked.has(b.url);
    });
    blocked.forEach((b) => { b.step = out.steps.length - 1; });
    if (blocked.length) {
        // a page that asks for anything off loopback is a failure even when the action itself went on
        res.blocked = blocked;
        res.error = `blocked non-loopback request: ${blocked.map((b) => b.url).join(' ')}${res.error ? '; ' + res.error : ''}`;
    }
    await describe(res);
    if (action === 'cookies' || res.cookies) res.cookies ??= [];
    if (res.error && step.allow_error) { res.allowed_error = true; return true; }
    return !res.error;
}

async function main() {
    let script;
    try { script = readScript(); } catch (e) { out.error = `bad script: ${e.message}`; return finish(1); }
    const opts = {
        script_ms: Number(script.timeout_ms) || SCRIPT_MS,
        step_ms: Number(script.step_timeout_ms) || STEP_MS,
        ignore_https_errors: script.ignore_https_errors,
    };
    // the deadline of the whole script, and a last resort in case closing hangs too
    setTimeout(() => {
        out.error = `script timed out after ${opts.script_ms} ms`;
        const last = out.steps[out.steps.length - 1];
        if (last && !last.error && !last.elapsed_ms) last.error = 'script deadline reached during this step';
        shutdown(1);
    }, opts.script_ms);
    setTimeout(() => finish(1), opts.script_ms + 8000).unref();

    try {
        guard = await startGuard();
        const t = performance.now();
        browser = await chromium.launch({
            executablePath: EXECUTABLE,
            headless: true,
            args: [...LAUNCH_ARGS,
                `--proxy-server=http://127.0.0.1:${guard.address().port}`,
                '--proxy-bypass-list=<-loopback>;localhost;*.localhost;127.0.0.0/8;[::1]',
                '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.*, EXCLUDE ::1'],
            timeout: Math.min(30000, opts.script_ms),
            handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
        });
        const proc = chromeProcess();
        chromePid = proc && proc.pid;
        out.browser = {
            executable: EXECUTABLE, version: browser.version(), launch_ms: elapsed(t),
            pid: chromePid, no_sandbox: proc ? proc.cmdline.includes('--no-sandbox') : null,
            uid: process.getuid(),
        };
        await newContext(opts);
    } catch (e) {
        out.error = `launch failed: ${String(e && e.message || e)}`;
        return shutdown(1);
    }

    let ok = true;
    for (const [i, step] of script.steps.entries()) {
        const action = step.__action;
        if (!(await runStep(step, opts))) {
            ok = false;
            out.error ??= `step ${i} (${action}) failed: ${out.steps[i].error}`;
            break;
        }
    }
    await shutdown(ok ? 0 : 1);
}

main();
