#!/usr/bin/perl
# Self-test of the scripted browser (t/browser/run.mjs, OT::Browser) against the real provider
# fixture (t/idp): TAP, not part of the Apache::Test run (which only picks t/*.t):
#
#   perl t/browser/selftest.pl          (or: prove t/browser/selftest.pl)
#
# Needs node >= 20.18, `npm ci` at the top of the tree (oidc-provider, playwright-core) and
# Debian's chromium (scripts/install-deps). NODE picks the node binary, OT_CHROMIUM the browser.
use strict;
use warnings;

use Digest::SHA qw(sha256);
use FindBin;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use MIME::Base64 qw(encode_base64 decode_base64);
use Time::HiRes qw(time);
use Test::More;

BEGIN {
    require "$FindBin::Bin/Browser.pm";
    require "$FindBin::Bin/../idp/IdP.pm";
}

# What this test needs is part of its set-up: a missing piece is a failure.
for my $why (OT::IdP::unavailable(), OT::Browser::unavailable()) {
    BAIL_OUT($why) if $why;
}

my $T = JSON::PP::true;
my $dir = tempdir('ot-browser-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub b64url { my $s = encode_base64($_[0], ''); $s =~ tr{+/}{-_}; $s =~ s/=+$//; $s }
sub random_b64url {
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!";
    read($fh, my $b, $_[0]) == $_[0] or die 'short read';
    return b64url($b);
}
sub form { my %q = @_; join '&', map { "$_=" . _enc($q{$_}) } sort keys %q }
sub _enc { my $s = shift; $s =~ s/([^A-Za-z0-9\-._~])/sprintf '%%%02X', ord $1/ge; $s }
sub jwt_payload {
    my ($p) = (split /\./, $_[0])[1];
    $p =~ tr{-_}{+/};
    $p .= '=' x (-length($p) % 4);
    return decode_json(decode_base64($p));
}

# --- the relying-party stand-in: a node one-liner that shows the query string it got ----------
my $echo_js = <<'JS';
const http = require('http');
const esc = (t) => t.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const s = http.createServer((q, r) => {
    const u = new URL(q.url, 'http://127.0.0.1');
    if (u.pathname === '/redirect') { r.writeHead(302, { Location: u.searchParams.get('to') }); return r.end(); }
    r.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    r.end(`<!doctype html><title>echo ${esc(u.pathname)}</title><h1>echo ${esc(u.pathname)}</h1>` +
          `<p>query: <code id="query">${esc(u.search.slice(1))}</code></p>` +
          `<p>header: <code id="xrw">${esc(q.headers['x-requested-with'] || '')}</code></p>` +
          `<a id="again" href="/again?x=1">again</a>`);
});
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
setTimeout(() => process.exit(0), 300000);   // never outlives a stuck self-test by much
JS
# package variables: a lexical pipe handle is closed (waiting for its child) before END blocks run
our ($echo_pid, $echo_out);
END { if ($echo_pid) { local $?; kill 'TERM', $echo_pid; close $echo_out } }
$echo_pid = open($echo_out, '-|', OT::IdP::node(), '-e', $echo_js) or die "echo server: $!";
chomp(my $echo_port = <$echo_out> // '');
die "echo server did not start\n" unless $echo_port =~ /^\d+$/;
my $echo = "http://127.0.0.1:$echo_port";

my $idp = OT::IdP->start(state => "$dir/idp",
    redirect_uris => ["$echo/callback"],
    post_logout_redirect_uris => ["$echo/logged-out"]);
diag "provider $idp->{issuer}, relying-party stand-in $echo";

# --- 1. the login: authorization request with PKCE, the provider's form, back at the RP -------
my $verifier  = random_b64url(32);
my $challenge = b64url(sha256($verifier));
my $state     = random_b64url(16);
my $nonce     = random_b64url(16);
my $auth = $idp->endpoint('authorization') . '?' . form(
    response_type => 'code', client_id => 'web-client', redirect_uri => "$echo/callback",
    scope => 'openid', state => $state, nonce => $nonce,
    code_challenge => $challenge, code_challenge_method => 'S256');
my $shot = "$dir/after-login.png";
my $end_session = $idp->endpoint('end_session') . '?' . form(
    client_id => 'web-client', post_logout_redirect_uri => "$echo/logged-out");

my $t0 = time;
my $r = OT::Browser::run_script([
    { goto => $auth },                                                          # 0
    { login => { username => 'alice', password => 'alice-password' } },        # 1
    { screenshot => $shot },                                                    # 2
    { cookies => $T },                                                          # 3
    { fetch => { url => '/api?probe=1', headers => { 'X-Requested-With' => 'XMLHttpRequest' } } },  # 4
    { fetch => { url => $idp->base . '/_test/logins' } },                       # 5 other origin: context.request
    { click => '#again' },                                                      # 6
    { wait_url => '/again\?x=1$', timeout_ms => 3000 },                         # 7
]);
my $wall = time - $t0;
my @s = @{ $r->{steps} };
ok($r->{ok}, 'login script ran') or diag(OT::Browser::failure($r) . "\n" . $r->{stderr});
is($r->{exit}, 0, 'exit status 0');
is(scalar @s, 8, 'one result per step');

my $b = $r->{browser};
like($b->{version}, qr/^\d+\.\d+\.\d+\.\d+$/, "chromium $b->{version}");
is($b->{executable}, OT::Browser::chromium(), 'the Debian chromium, not a downloaded one');
ok($b->{pid} && $b->{no_sandbox}, 'chromium runs with --no-sandbox (from /proc/PID/cmdline)') if $> == 0;
like($s[0]{url}, qr{^\Q$idp->{base}\E/interaction/}, 'authorization request lands on the login page');
is($s[0]{status}, 200, 'login page status 200');
like($s[0]{text}, qr/Sign in/, 'login page text');
ok(grep({ /^GET \Q$idp->{base}\E\/auth\?/ } @{ $s[0]{navigations} }), 'navigations list the redirect chain');

my $cb = $s[1]{url};
like($cb, qr{^\Q$echo\E/callback\?}, "login lands on the redirect URI");
my $q = OT::Browser::query($cb);
ok(length($q->{code} // '') > 10, 'with a code');
is($q->{state}, $state, 'the same state');
is($q->{iss}, $idp->url, 'and iss (RFC 9207)');
is($s[1]{status}, 200, 'callback page status 200');
is($s[1]{title}, 'echo /callback', 'callback page title');
like($s[1]{text}, qr/code=/, 'callback page text');

open my $png, '<:raw', $shot;
read($png, my $magic, 8) if $png;
is($magic, "\x89PNG\r\n\x1a\n", "screenshot written ($shot, " . (-s $shot // 0) . ' bytes)');

my $op = OT::Browser::cookie($s[3], 'op_session');
ok($op && $op->{httpOnly} && $op->{domain} eq '127.0.0.1' && $op->{path} eq '/', "provider session cookie seen (httpOnly, $op->{sameSite})");
ok(exists $op->{$_}, "cookie field $_") for qw(name value domain path httpOnly secure sameSite expires);

is($s[4]{status}, 200, 'same-origin fetch 200');
is($s[4]{fetch}{via}, 'page', 'same-origin fetch ran in the page');
like($s[4]{body}, qr{<code id="xrw">XMLHttpRequest</code>}, 'fetch sent the header');
is($s[5]{fetch}{via}, 'request', 'cross-origin fetch through context.request');
my $logins = eval { decode_json($s[5]{body}) } || [];
ok((grep { $_->{account} eq 'alice' && $_->{client} eq 'web-client' } @$logins), 'provider counted the login');
is($s[7]{url}, "$echo/again?x=1", 'click followed the link, wait_url matched');

# the code is real and the PKCE challenge was right: redeem it
my $tok = HTTP::Tiny->new(timeout => 10)->post_form($idp->endpoint('token'),
    [grant_type => 'authorization_code', code => $q->{code}, redirect_uri => "$echo/callback",
     code_verifier => $verifier, client_id => 'web-client', client_secret => 'web-client-secret']);
is($tok->{status}, 200, 'code redeemed at the token endpoint with the PKCE verifier')
    or diag $tok->{content};
my $id = eval { jwt_payload(decode_json($tok->{content})->{id_token}) } || {};
is($id->{nonce}, $nonce, 'ID token carries the nonce');
is($id->{sub}, 'alice', 'ID token for alice');

my $login_ms = $s[0]{elapsed_ms} + $s[1]{elapsed_ms};
diag sprintf "chromium %s launched in %d ms; login (authorization request + form + callback) %d ms; "
    . "whole script %d ms (8 steps), %.0f ms as seen from Perl (node, launch, close included)",
    $b->{version}, $b->{launch_ms}, $login_ms, $r->{total_ms}, $wall * 1000;

# --- 2. logout at the provider (a click that navigates), cookie jar steps ---------------------
(my $auth_bob = $auth) =~ s/state=[^&]+/state=bob-state/;
$r = OT::Browser::run_script([
    { goto => $auth_bob },                                                      # 0
    { login => { username => 'bob', password => 'bob-password', until_url_prefix => "$echo/callback?" } },  # 1
    { goto => $end_session },                                                   # 2 the provider asks
    { click => '#logout-yes' },                                                 # 3
    { cookies => $T },                                                          # 4
    { new_context => $T },                                                      # 5
    { cookies => $T },                                                          # 6
    { set_cookie => { name => 'probe', value => 'v1', url => "$echo/" } },      # 7
    { cookies => $T },                                                          # 8
    { clear_cookies => $T },                                                    # 9
    { cookies => $T },                                                          # 10
]);
@s = @{ $r->{steps} };
ok($r->{ok}, 'logout script ran') or diag(OT::Browser::failure($r));
is(OT::Browser::query($s[1]{url})->{state}, 'bob-state', 'second login (bob), until_url_prefix');
like($s[2]{url}, qr{^\Q$idp->{base}\E/session/end}, 'end_session asks for confirmation');
like($s[3]{url}, qr{^\Q$echo\E/logged-out}, 'click on #logout-yes: back at the post-logout redirect');
ok(!OT::Browser::cookie($s[4], 'op_session'), 'provider session cookie gone after logout');
is_deeply($s[6]{cookies}, [], 'new context: new cookie jar');
is(OT::Browser::cookie($s[8], 'probe')->{value}, 'v1', 'set_cookie');
is_deeply($s[10]{cookies}, [], 'clear_cookies');

# --- 3. nothing leaves loopback --------------------------------------------------------------
$r = OT::Browser::run_script([
    { goto => 'http://192.0.2.1/', allow_error => $T, timeout_ms => 5000 },                       # 0
    { goto => "$echo/redirect?to=" . _enc('http://192.0.2.1/hop'), allow_error => $T, timeout_ms => 5000 },  # 1
    { goto => "$echo/redirect?to=" . _enc('https://192.0.2.1/tls'), allow_error => $T, timeout_ms => 5000 },  # 2
    { goto => "$echo/" },                                                                         # 3
    { fetch => { url => "$echo/redirect?to=" . _enc('http://192.0.2.1/api'), via => 'request' }, allow_error => $T },  # 4
    { fetch => { url => '/redirect?to=' . _enc('http://192.0.2.1/xhr'), via => 'page' }, allow_error => $T },  # 5
    { set_cookie => { name => 'x', value => 'y', url => 'http://192.0.2.1/' }, allow_error => $T },  # 6
]);
@s = @{ $r->{steps} };
ok($r->{ok}, 'block script ran (errors allowed)') or diag(OT::Browser::failure($r));
like($s[0]{error}, qr/ERR_BLOCKED_BY_CLIENT/, 'goto http://192.0.2.1/ refused by the route block');
ok((grep { $_->{url} eq 'http://192.0.2.1/' && $_->{by} eq 'route' } @{ $s[0]{blocked} || [] }),
   'and recorded as blocked by the route, not attempted') or diag explain $s[0];
is($s[0]{status}, undef, 'no response status for it');
ok((grep { $_->{url} eq 'http://192.0.2.1/hop' && $_->{by} eq 'proxy' } @{ $s[1]{blocked} || [] }),
   'a redirect hop to 192.0.2.1 (context.route does not see it) stopped by the loopback guard')
    or diag explain $s[1];
ok($s[1]{error}, "and the navigation failed: $s[1]{error}");
ok((grep { $_->{url} eq 'CONNECT 192.0.2.1:443' } @{ $s[2]{blocked} || [] }), 'https hop: CONNECT refused too')
    or diag explain $s[2];
like($s[4]{error}, qr{blocked non-loopback URL http://192\.0\.2\.1/api}, 'context.request fetch: redirect hop refused');
ok((grep { $_->{url} eq 'http://192.0.2.1/xhr' } @{ $s[5]{blocked} || [] }), 'page fetch: redirect hop refused')
    or diag explain $s[5];
like($s[6]{error}, qr/not a loopback URL/, 'set_cookie for a non-loopback URL refused');
my @bg = grep { !defined $_->{step} } @{ $r->{blocked} };
diag 'chromium background requests stopped by the guard: ' . join(', ', map { $_->{url} =~ s/\?.*//r } @bg)
    if @bg;

# --- 4. failures end promptly with exit 1 -----------------------------------------------------
$t0 = time;
$r = OT::Browser::run_script([
    { goto => $auth },
    { login => { username => 'alice', password => 'wrong' } },
]);
ok(!$r->{ok} && $r->{exit} == 1, 'wrong password: ok false, exit 1');
like($r->{steps}[1]{error}, qr/login refused/, "login step says so: $r->{steps}[1]{error}");
cmp_ok(time - $t0, '<', 10, 'without waiting for the step timeout');

$t0 = time;
$r = OT::Browser::run_script([ { goto => "$echo/" }, { wait_url => 'never', timeout_ms => 500 } ]);
like($r->{steps}[1]{error}, qr/Timeout 500ms/, 'wait_url times out');
is($r->{exit}, 1, 'exit 1');

$r = OT::Browser::run_script({ timeout_ms => 3000, steps => [ { goto => "$echo/" }, { sleep_ms => 30000 } ] });
like($r->{error}, qr/script timed out after 3000 ms/, 'the script deadline ends a long step');
cmp_ok(time - $t0, '<', 15, 'both ended promptly');

# the script on stdin
my $script = "$dir/stdin.json";
open my $fh, '>', $script or die;
print $fh encode_json([{ goto => "$echo/stdin" }]);
close $fh;
my $node = OT::IdP::node();
my $res = eval { decode_json(scalar `$node $OT::Browser::RUNNER < $script 2>/dev/null`) } || {};
ok($res->{ok} && $res->{steps}[0]{title} eq 'echo /stdin', 'script read from stdin');

$r = eval { OT::Browser::run_script([{ bogus => 1 }]) };
like($@, qr/bad script/, 'a malformed script dies with the reason');

$idp->stop;
done_testing;
