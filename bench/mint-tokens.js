#!/usr/bin/env node
// Bulk token factory for bench/run (node's crypto only, no packages).
//
//   node bench/mint-tokens.js --key PEM --alg RS256|ES256|EdDSA --kid KID
//        --iss URL --aud URL --exp SECONDS --count N [--first I] [--prefix P]
//
// Prints N distinct compact JWS, one per line: the same shape as
// t/bin/mint-token (header {alg, kid, typ: "at+jwt"}, raw R||S for ES*),
// claims {iss, aud, sub, client_id, scope, iat, exp, jti} with a sub and jti
// numbered from --first. t/bin/mint-token batch parses the private key
// again for every token (about 0.4 ms each); this reads it once, which
// makes 100,000 ES256 tokens a matter of seconds.
'use strict';

const crypto = require('crypto');
const fs = require('fs');

function die(msg) {
    process.stderr.write('mint-tokens: ' + msg + '\n');
    process.exit(2);
}

function b64url(buf) {
    return Buffer.from(buf).toString('base64')
        .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const o = { first: '0', prefix: 'bench' };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
    if (!/^--[a-z]+$/.test(argv[i]) || i + 1 >= argv.length) die('bad argument ' + argv[i]);
    o[argv[i].slice(2)] = argv[i + 1];
}
for (const k of ['key', 'alg', 'kid', 'iss', 'aud', 'exp', 'count']) {
    if (o[k] === undefined) die('--' + k + ' is required');
}
const key = crypto.createPrivateKey(fs.readFileSync(o.key));
const count = parseInt(o.count, 10);
const first = parseInt(o.first, 10);
const exp = parseInt(o.exp, 10);
const iat = Math.floor(Date.now() / 1000) - 5;

let signer;
switch (o.alg) {
case 'RS256': signer = (input) => crypto.sign('sha256', input, key); break;
case 'ES256': signer = (input) => crypto.sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }); break;
case 'EdDSA': signer = (input) => crypto.sign(null, input, key); break;
default: die('unsupported alg ' + o.alg);
}

const header = b64url(JSON.stringify({ alg: o.alg, kid: o.kid, typ: 'at+jwt' }));
const out = fs.openSync('/dev/stdout', 'w');
let chunk = [];
for (let i = first; i < first + count; i++) {
    const claims = {
        iss: o.iss, aud: o.aud, sub: 'user-' + i, client_id: 'bench-client',
        scope: 'orders:read', iat, exp, jti: o.prefix + '-' + i,
    };
    const input = header + '.' + b64url(JSON.stringify(claims));
    chunk.push(input + '.' + b64url(signer(Buffer.from(input))));
    if (chunk.length === 1000) {
        fs.writeSync(out, chunk.join('\n') + '\n');
        chunk = [];
    }
}
if (chunk.length) fs.writeSync(out, chunk.join('\n') + '\n');
