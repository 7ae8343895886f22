#!/usr/bin/perl
# Self-test of the OpenID provider fixture and its Perl helper (TAP; not part of
# the Apache::Test run, which only picks t/*.t):
#
#   perl t/idp/selftest.pl          (or: prove t/idp/selftest.pl)
#
# Needs node >= 20.18 and `npm ci` at the top of the tree. NODE picks the node binary.
use strict;
use warnings;

use Digest::SHA qw(sha256);
use FindBin;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(_exit);
use HTTP::Tiny;
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use Test::More;

BEGIN { require "$FindBin::Bin/IdP.pm" }

# A missing node or npm ci is a failure of this test, never a skip.
if (my $why = OT::IdP::unavailable()) {
    BAIL_OUT($why);
}

my $json = JSON::PP->new;
my $http = HTTP::Tiny->new(timeout => 10);

sub b64url_json {
    my ($s) = @_;
    $s =~ tr{-_}{+/};
    $s .= '=' x (-length($s) % 4);
    return $json->decode(decode_base64($s));
}
sub jwt_parts { my @p = split /\./, $_[0]; return (b64url_json($p[0]), b64url_json($p[1])) }
sub get_json {
    my ($url) = @_;
    my $res = $http->get($url);
    return ($res, $res->{success} ? $json->decode($res->{content}) : undef);
}

my $state = tempdir('ot-idp-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $t0 = time;

# a relying party stand-in: records every request it gets (back-channel logout)
my $rp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 5, ReuseAddr => 1)
    or die "listen: $!";
my $rp_url = 'http://127.0.0.1:' . $rp->sockport;
my $rp_pid = fork // die "fork: $!";
if (!$rp_pid) {
    local $SIG{ALRM} = sub { _exit(0) };
    alarm 60;
    while (my $c = $rp->accept) {
        my ($head, $body) = ('', '');
        while (defined(my $l = <$c>)) { $head .= $l; last if $l eq "\r\n" }
        read($c, $body, $1) if $head =~ /^content-length:\s*(\d+)/mi;
        open my $fh, '>>', "$state/rp.log";
        print $fh (split /\r\n/, $head)[0], " $body\n";
        close $fh;
        print $c "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        close $c;
    }
    _exit(0);
}
close $rp;

my $idp = OT::IdP->start(state => $state,
    redirect_uris => ["$rp_url/callback"],
    post_logout_redirect_uris => ["$rp_url/logged-out"],
    backchannel_logout_uri => "$rp_url/backchannel");
diag sprintf 'fixture: %s (pid %d), node %s', $idp->url, $idp->pid, scalar `${\ OT::IdP::node()} --version`;
ok(-s "$state/keys.json", 'keys.json written on first start');
like($idp->url, qr{^http://127\.0\.0\.1:\d+$}, 'issuer is http://127.0.0.1:PORT');

# discovery, both documents
my ($res, $meta) = get_json($idp->url . '/.well-known/openid-configuration');
ok($res->{success}, 'openid-configuration served');
is($meta->{issuer}, $idp->url, 'discovery issuer equals the issuer');
is($meta->{jwks_uri}, $idp->url . '/jwks', 'jwks_uri');
ok($meta->{introspection_endpoint}, 'introspection_endpoint announced');
(undef, my $as) = get_json($idp->url . '/.well-known/oauth-authorization-server');
is_deeply($as, $meta, 'RFC 8414 oauth-authorization-server: same metadata');

# JWT access token (RFC 9068) for https://api.test
my $at = $idp->client_credentials_token(resource => 'https://api.test',
                                        scope => 'orders:read orders:write profile');
my ($h, $c) = jwt_parts($at);
is($h->{typ}, 'at+jwt', 'JWT access token: typ at+jwt');
is($h->{alg}, 'RS256', 'JWT access token: RS256');
my $kid1 = $h->{kid};
is($kid1, $idp->signing_kid('RS256'), 'signed with the published RS256 key');
is($c->{aud}, 'https://api.test', 'aud is the resource');
is($c->{iss}, $idp->url, 'iss');
is($c->{client_id}, 'rs-client', 'client_id');
is($c->{sub}, 'rs-client', 'sub is the client (client credentials)');
is($c->{scope}, 'orders:read orders:write profile', 'scope');
ok($c->{exp} > time && $c->{iat} <= time + 5, 'exp/iat');

# ES256 on request
$idp->config(alg => 'ES256');
($h) = jwt_parts($idp->client_credentials_token(resource => 'https://api.test'));
is($h->{alg}, 'ES256', 'ES256 JWT access token after config alg=ES256');
$idp->config(alg => 'RS256');

# a client may not ask for scopes it lacks
eval { $idp->client_credentials_token(client => 'rs-client-2', resource => 'https://api.test', scope => 'orders:write') };
like($@, qr/invalid_scope/, 'rs-client-2 cannot get orders:write');

# opaque token, introspection, revocation
my $op = $idp->client_credentials_token(resource => 'https://opaque.test', scope => 'orders:read');
unlike($op, qr/\./, 'opaque token is not a JWT');
my $in = $idp->introspect($op);
ok($in->{active}, 'introspection: active');
is($in->{aud}, 'https://opaque.test', 'introspection: aud');
is($in->{scope}, 'orders:read', 'introspection: scope');
is($in->{iss}, $idp->url, 'introspection: iss');
is($in->{sub}, 'rs-client', 'introspection: sub');
$res = $http->post_form($idp->endpoint('introspection'),
    { token => $op, client_id => 'introspector', client_secret => 'introspector-secret' });
ok($res->{success} && $json->decode($res->{content})->{active}, 'introspection with client_secret_post too');
my $none = $idp->client_credentials_token(scope => 'orders:read');
unlike($none, qr/\./, 'no resource: opaque token');
ok($idp->introspect($none)->{active}, 'no-resource token introspects active');
ok($idp->revoke($op), 'revoked');
ok(!$idp->introspect($op)->{active}, 'introspection after revocation: inactive');

# simulated failures
$idp->fail('jwks,introspection');
is($http->get($idp->endpoint('jwks'))->{status}, 500, 'fail jwks: 500');
is($http->post_form($idp->endpoint('introspection'), { token => 'x' })->{status}, 500, 'fail introspection: 500');
is($http->get($idp->endpoint('discovery'))->{status}, 200, 'discovery unaffected');
$idp->fail('none');
is($http->get($idp->endpoint('jwks'))->{status}, 200, 'fail none: jwks back');

# counts
$idp->reset_counts;
$http->get($idp->endpoint('jwks')) for 1 .. 3;
$http->get($idp->endpoint('discovery'));
$idp->introspect($none);
$idp->client_credentials_token(resource => 'https://api.test');
my $n = $idp->counts;
is_deeply([@$n{qw(jwks discovery introspection token)}], [3, 1, 1, 1], 'counts: jwks 3, discovery 1, introspection 1, token 1');

# rotation in place
my $kid2 = $idp->rotate;
isnt($kid2, $kid1, "rotate: new kid $kid2");
(undef, my $jwks) = get_json($idp->endpoint('jwks'));
my @kids = map { $_->{kid} } @{ $jwks->{keys} };
ok((grep { $_ eq $kid2 } @kids), 'new kid served');
ok(!(grep { $_ eq $kid1 } @kids), 'old kid removed from the JWKS');
($h) = jwt_parts($idp->client_credentials_token(resource => 'https://api.test'));
is($h->{kid}, $kid2, 'new tokens signed with the new key');
ok($idp->introspect($none)->{active}, 'tokens issued before the rotation still introspect');

# restart: keys persist; restart(rotate => 1): new key
my $port = $idp->port;
$idp->restart;
is($idp->port, $port, 'restart keeps the port');
is($idp->signing_kid, $kid2, 'restart keeps keys.json');
$idp->restart(rotate => 1);
my $kid3 = $idp->signing_kid;
isnt($kid3, $kid2, 'restart(rotate => 1): new signing kid');
(undef, $jwks) = get_json($idp->endpoint('jwks'));
is_deeply([grep { $_->{alg} eq 'RS256' } @{ $jwks->{keys} }]->[0]{kid}, $kid3, 'JWKS serves the new kid');

# browserless authorization code flow with PKCE (what issue 4's tests will drive)
my %q = (response_type => 'code', client_id => 'web-client', redirect_uri => "$rp_url/callback",
    scope => 'openid profile email', state => 'st-1', nonce => 'n-1', resource => 'https://api.test');
my $verifier = 'v' x 50;
($q{code_challenge} = MIME::Base64::encode_base64(sha256($verifier), '')) =~ tr{+/=}{-_}d;
$q{code_challenge_method} = 'S256';
my $cb = $idp->authorize($idp->endpoint('authorization') . '?' . $http->www_form_urlencode(\%q), login => 'alice');
like($cb, qr{^\Q$rp_url\E/callback\?code=[^&]+&state=st-1&iss=}, 'login: redirected to the callback with code, state, iss');
my ($code) = $cb =~ /code=([^&]+)/;
$res = $http->post_form($idp->endpoint('token'), { grant_type => 'authorization_code', code => $code,
    redirect_uri => "$rp_url/callback", code_verifier => $verifier },
    { headers => { Authorization => OT::IdP::_basic('web-client', 'web-client-secret') } });
ok($res->{success}, 'code exchanged') or diag $res->{content};
my $tok = $json->decode($res->{content});
my ($ih, $ic) = jwt_parts($tok->{id_token});
is_deeply([@$ic{qw(sub aud nonce iss)}], ['alice', 'web-client', 'n-1', $idp->url], 'ID token: sub aud nonce iss');
ok($ic->{sid}, 'ID token has sid');
is($ic->{email}, 'alice@example.test', 'ID token carries the scope claims');
my ($ah, $ac) = jwt_parts($tok->{access_token});
is_deeply([$ah->{typ}, $ac->{aud}, $ac->{sub}], ['at+jwt', 'https://api.test', 'alice'], 'access token: JWT for the resource, sub alice');
ok($tok->{refresh_token}, 'refresh token issued');
$res = $http->post_form($idp->endpoint('token'), { grant_type => 'refresh_token', refresh_token => $tok->{refresh_token} },
    { headers => { Authorization => OT::IdP::_basic('web-client', 'web-client-secret') } });
ok($res->{success} && $json->decode($res->{content})->{access_token}, 'refresh token grant');
my $again = $idp->authorize($idp->endpoint('authorization') . '?' . $http->www_form_urlencode({ %q, state => 'st-2' }));
like($again, qr{code=.*state=st-2}, 'second login reuses the provider session');
is($idp->logins->[-1]{sid}, $ic->{sid}, 'logins lists the sid');

# the provider's pages load nothing from elsewhere (no web font, no script URL)
my $err = $http->get($idp->endpoint('authorization') . '?client_id=nobody&response_type=code');
like($err->{content}, qr/invalid_client|client is invalid/, 'error page for an unknown client');
my $login_page = do {   # a fresh browser: no provider session yet
    my $ua = HTTP::Tiny->new(max_redirect => 0, timeout => 10);
    my $r = $ua->get($idp->endpoint('authorization') . '?' . $http->www_form_urlencode({ %q, state => 'st-p' }));
    my $sc = $r->{headers}{'set-cookie'};
    my $cookie = join '; ', map { /^([^;]+)/ } ref $sc ? @$sc : ($sc // ());
    $ua->get($idp->base . $r->{headers}{location}, { headers => { Cookie => $cookie } })->{content};
};
like($login_page, qr/id="login-form"/, 'login page');
unlike($err->{content} . $login_page, qr{(?:https?:)?//(?!127\.0\.0\.1[:/])[\w.-]+}, 'no external resources on error and login pages');

# back-channel logout to a loopback relying party
my $bc = $idp->backchannel_logout(sub => 'alice');
ok($bc->{ok}, 'back-channel logout delivered to 127.0.0.1');
my ($line) = do { open my $fh, '<', "$state/rp.log"; <$fh> };
like($line, qr{^POST /backchannel HTTP/1.1 logout_token=}, 'the RP got a logout token');
my ($lt) = $line =~ /logout_token=(\S+)/;
my ($lh, $lc) = jwt_parts($lt);
is($lh->{typ}, 'logout+jwt', 'logout token typ');
is_deeply([@$lc{qw(sub sid aud)}], ['alice', $ic->{sid}, 'web-client'], 'logout token sub sid aud');
ok(exists $lc->{events}{'http://schemas.openid.net/event/backchannel-logout'}, 'logout token event');

# RP-initiated logout at the provider: confirm page, back-channel again, redirect back
my $out = $idp->authorize($idp->endpoint('end_session') . '?' . $http->www_form_urlencode({
    id_token_hint => $tok->{id_token}, post_logout_redirect_uri => "$rp_url/logged-out", state => 'bye' }));
is($out, "$rp_url/logged-out?state=bye", 'end_session: confirmed and sent back to post_logout_redirect_uri');
my @rp = do { open my $fh, '<', "$state/rp.log"; <$fh> };
is(scalar @rp, 2, 'end_session sent a second back-channel logout');
like($idp->authorize($idp->endpoint('authorization') . '?' . $http->www_form_urlencode({ %q, state => 'st-3' }), login => 'bob'),
    qr{code=.*state=st-3}, 'after logout the login form is back (bob signs in)');
is($idp->logins->[-1]{account}, 'bob', 'logins: bob');

my $n2 = $idp->counts;
diag 'counts since the last restart: ' . JSON::PP->new->canonical->encode($n2);

$idp->stop;
ok(!-e "$state/ready", 'ready file removed on SIGTERM');
ok(!$idp->running, 'stopped');
unlike($idp->log_text, qr/server_error|unhandled/, 'no errors in the fixture log');
kill 'TERM', $rp_pid;
waitpid $rp_pid, 0;
diag sprintf 'selftest took %d s', time - $t0;

done_testing;
